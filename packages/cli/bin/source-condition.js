// Module resolution hook: resolves workspace packages to their TypeScript sources (the
// "@metrabs/source" condition of their exports maps), like tsconfig and vitest do.
export function resolve(specifier, context, nextResolve) {
  return nextResolve(specifier, {
    ...context,
    conditions: [...context.conditions, '@metrabs/source'],
  });
}
