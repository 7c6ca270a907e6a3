import { configJsonSchema } from '../lambdas/core/config/json-schema';

interface JsonSchemaNode {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
  items?: JsonSchemaNode;
  minimum?: number;
  maximum?: number;
}

function typeOf(node: JsonSchemaNode): string {
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.enum && node.enum.length > 8)
    return `string: one of ${node.enum.length} names in drpilot.schema.json`;
  if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  if (node.type === 'array') return `${node.items ? typeOf(node.items) : 'any'}[]`;
  return node.type ?? 'any';
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function rows(node: JsonSchemaNode, prefix: string, required: boolean): string[] {
  const out: string[] = [];
  if (prefix) {
    const range =
      node.minimum !== undefined && node.maximum !== undefined && node.maximum < 1e15
        ? ` (${node.minimum}–${node.maximum})`
        : '';
    const dflt =
      node.default !== undefined
        ? `\`${JSON.stringify(node.default)}\``
        : required
          ? 'required'
          : 'optional';
    out.push(
      `| \`${prefix}\` | ${typeOf(node)}${range} | ${dflt} | ${cell(node.description ?? '')} |`,
    );
  }
  const objectNode = node.type === 'array' ? node.items : node;
  const base = node.type === 'array' ? `${prefix}[]` : prefix;
  for (const [key, child] of Object.entries(objectNode?.properties ?? {})) {
    if (key === '$schema') continue;
    out.push(
      ...rows(child, base ? `${base}.${key}` : key, objectNode?.required?.includes(key) ?? false),
    );
  }
  return out;
}

/** The README's config reference, generated from the same schema that validates configs. */
export function configReferenceMarkdown(): string {
  return [
    '| field | type | default | meaning |',
    '|---|---|---|---|',
    ...rows(configJsonSchema() as JsonSchemaNode, '', true),
  ].join('\n');
}
