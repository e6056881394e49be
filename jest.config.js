/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/libs', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  moduleNameMapper: {
    '^@friends/(core|nest|grpc)$': '<rootDir>/libs/$1/src/index.ts',
    '^@friends/(core|nest|grpc)/internal$': '<rootDir>/libs/$1/src/internal.ts',
    '^@friends/grpc/nest$': '<rootDir>/libs/grpc/src/nest/index.ts',
    '^@friends/core/prometheus$': '<rootDir>/libs/core/src/prometheus.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  testTimeout: 30_000,
  maxWorkers: 2,
};
