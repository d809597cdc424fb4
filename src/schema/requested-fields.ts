import type { FragmentDefinitionNode, GraphQLResolveInfo, SelectionSetNode } from 'graphql';

/**
 * The fields selected at `path` below the resolved field (e.g. ['edges', 'node']), across every alias,
 * inline fragment and named fragment; null when the path cannot be followed (then read everything).
 */
export function requestedFieldsAt(info: GraphQLResolveInfo, path: readonly string[]): Set<string> | null {
  const fields = new Set<string>();
  const visit = (set: SelectionSetNode | undefined, depth: number): boolean => {
    if (set === undefined) {
      return depth === path.length;
    }
    for (const selection of set.selections) {
      if (selection.kind === 'Field') {
        if (depth === path.length) {
          fields.add(selection.name.value);
        } else if (selection.name.value === path[depth] && !visit(selection.selectionSet, depth + 1)) {
          return false;
        }
      } else if (selection.kind === 'InlineFragment') {
        if (!visit(selection.selectionSet, depth)) {
          return false;
        }
      } else {
        const fragment: FragmentDefinitionNode | undefined = info.fragments[selection.name.value];
        if (fragment === undefined || !visit(fragment.selectionSet, depth)) {
          return false;
        }
      }
    }
    return true;
  };
  for (const node of info.fieldNodes) {
    if (!visit(node.selectionSet, 0)) {
      return null;
    }
  }
  return fields;
}
