export { CatalogModule } from './catalog.module.js';
export { PRODUCTS, type Product } from './products.js';
