export { InventoryModule } from './inventory.module.js';
export type { Reservation, StockLevel } from './inventory.controller.js';
