import {
  ErrorCodes,
  FriendsError,
  TIERS,
  describePeer,
  friendsDisabledByEnv,
  isFriendsError,
  metricsSnapshot,
  metrics,
  networkTransport,
} from '../src/internal.js';

describe('tiers and peers', () => {
  test('tiers are listed best first', () => {
    expect(TIERS).toEqual(['memory', 'unix', 'tcp']);
  });

  test('network.transport names follow OpenTelemetry', () => {
    expect(networkTransport('memory')).toBe('inproc');
    expect(networkTransport('unix')).toBe('unix');
    expect(networkTransport('tcp')).toBe('tcp');
  });

  test('describePeer gives one readable form per kind, bracketing IPv6 hosts', () => {
    expect(describePeer({ kind: 'memory', endpoint: 'abc' })).toBe('memory:abc');
    expect(describePeer({ kind: 'unix', path: '/run/x.sock' })).toBe('unix:/run/x.sock');
    expect(describePeer({ kind: 'tcp', host: '127.0.0.1', port: 3000 })).toBe('tcp:127.0.0.1:3000');
    expect(describePeer({ kind: 'tcp', host: '::1', port: 3000 })).toBe('tcp:[::1]:3000');
  });
});

describe('FRIENDS environment switch', () => {
  test.each(['off', 'OFF', ' Off ', '0', 'false', 'no'])('%j turns the fast paths off', (value) => {
    expect(friendsDisabledByEnv({ FRIENDS: value })).toBe(true);
  });

  test.each([undefined, '', 'on', '1', 'true', 'yes', 'offline'])('%j leaves them on', (value) => {
    expect(friendsDisabledByEnv(value === undefined ? {} : { FRIENDS: value })).toBe(false);
  });
});

describe('errors', () => {
  test('carry a stable code, a name and a cause', () => {
    const cause = new Error('inner');
    const err = new FriendsError(ErrorCodes.BAD_FRAME, 'bad', { cause });
    expect(err.code).toBe('FRIENDS_ERR_BAD_FRAME');
    expect(err.name).toBe('FriendsError');
    expect(err.cause).toBe(cause);
    expect(err).toBeInstanceOf(Error);
  });

  test('every code has the FRIENDS_ERR_ prefix and is unique', () => {
    const codes = Object.values(ErrorCodes);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^FRIENDS_ERR_[A-Z_]+$/);
  });

  test('isFriendsError matches by code, not by class', () => {
    const foreign = Object.assign(new Error('from another copy of the package'), { code: ErrorCodes.BAD_TICKET });
    expect(isFriendsError(foreign)).toBe(true);
    expect(isFriendsError(foreign, ErrorCodes.BAD_TICKET)).toBe(true);
    expect(isFriendsError(foreign, ErrorCodes.BAD_FRAME)).toBe(false);
    expect(isFriendsError(Object.assign(new Error(), { code: 'ECONNRESET' }))).toBe(false);
    expect(isFriendsError(null)).toBe(false);
    expect(isFriendsError(undefined)).toBe(false);
    expect(isFriendsError('FRIENDS_ERR_BAD_FRAME')).toBe(false);
  });
});

describe('metrics', () => {
  test('a snapshot is a copy, not a live view', () => {
    const snap = metricsSnapshot();
    const before = snap.tcp.errors;
    metrics.tcp.errors++;
    try {
      expect(snap.tcp.errors).toBe(before);
      expect(metricsSnapshot().tcp.errors).toBe(before + 1);
    } finally {
      metrics.tcp.errors--;
    }
  });
});
