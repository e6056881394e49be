/** A product as the catalog describes it: no price, no stock (other services own those). */
export interface Product {
  sku: string;
  name: string;
  description: string;
}

export const PRODUCTS: readonly Product[] = [
  { sku: 'kb-01', name: 'Mechanical keyboard', description: 'Tenkeyless, brown switches' },
  { sku: 'ms-02', name: 'Wireless mouse', description: 'Six buttons, rechargeable' },
  { sku: 'mn-27', name: '27" monitor', description: '2560x1440, 144 Hz' },
  { sku: 'hs-05', name: 'Headset', description: 'Closed back, detachable microphone' },
  { sku: 'cb-10', name: 'USB-C cable', description: '2 m, 100 W' },
  { sku: 'dk-12', name: 'Docking station', description: 'Two displays, Ethernet, card reader' },
];
