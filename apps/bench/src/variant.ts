/** What the report says about a variant. */
export interface VariantInfo {
  id: string;
  /** Client → server, as a reader knows them: `ClientTCP → FriendsServer`. */
  label: string;
  /** The path its calls took, as checked during the run. */
  tier: string;
  placement: 'one process' | 'two processes';
  /** The stock variant of the same placement its ratios are taken against. */
  baseline?: string;
  /** The floor of its placement: the least any design can cost there. */
  floor?: string;
  /** For the chart's colours and the targets. */
  role: 'stock' | 'friends' | 'floor' | 'mixed';
}

/** The variants named by `ids`, in suite order (all of them when undefined). */
export function selectVariants<V extends { readonly id: string }>(
  all: readonly V[],
  ids: readonly string[] | undefined,
): V[] {
  return ids ? all.filter((v) => ids.includes(v.id)) : [...all];
}

/**
 * What the report says about a variant, and no more: a suite's own variants
 * carry how to run them (functions among them), which neither the raw figures
 * nor a suite's process hand over.
 */
export function variantInfo({ id, label, tier, placement, baseline, floor, role }: VariantInfo): VariantInfo {
  return { id, label, tier, placement, role, ...(baseline ? { baseline } : {}), ...(floor ? { floor } : {}) };
}
