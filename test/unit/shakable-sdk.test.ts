import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { bundledManifest, literalSchemaKeys } from '../../lib/shakable-sdk';

// Shaped like @aws-sdk/client-ec2/dist-es/schemas/schemas_0.js (3.1169.0).
const SCHEMAS = `const _TSa = "TagSpecification";
const _xN = "xmlName";
const _eQN = "ec2QueryName";
const _q = "say \\"hi\\"";
const n0 = "com.amazonaws.ec2";
export var AcceptAddressTransferRequest$ = [3, n0, _TSa,
    0,
    [_TSa],
    [[() => TagSpecificationList, { [_xN]: _TSa, [_eQN]: \`TagSpecification\` }], { [_q]: 1 }], 1
];
export var Other$ = [{ [notAConstant]: 1, [n1]: 2 }];
`;

describe('literalSchemaKeys (lib/shakable-sdk.ts)', () => {
  const rewritten = literalSchemaKeys(SCHEMAS);

  it('writes computed keys that name a string constant of the module as that string', () => {
    expect(rewritten).toContain('{ "xmlName": _TSa, "ec2QueryName": `TagSpecification` }');
    expect(rewritten).toContain('{ "say \\"hi\\"": 1 }');
    expect(rewritten).not.toMatch(/\[_(xN|eQN|q)\]:/);
  });

  it('leaves every other computed key and every other line as it was', () => {
    expect(rewritten).toContain('[{ [notAConstant]: 1, [n1]: 2 }]');
    const untouched = (text: string) =>
      text.split('\n').filter((line) => !line.includes('TagSpecificationList'));
    expect(untouched(rewritten)).toEqual(untouched(SCHEMAS));
  });

  it('builds the same objects as the computed keys did', () => {
    const evaluate = (source: string) =>
      new Function(
        `const TagSpecificationList = [], notAConstant = 'k1', n1 = 'k2';
        ${source.replace(/export var/g, 'var')}; return [AcceptAddressTransferRequest$, Other$];`,
      )() as unknown;
    expect(JSON.stringify(evaluate(rewritten))).toBe(JSON.stringify(evaluate(SCHEMAS)));
  });
});

describe('bundledManifest (lib/shakable-sdk.ts)', () => {
  const installed = readFileSync(
    new URL('../../node_modules/@aws-sdk/client-sns/package.json', import.meta.url),
    'utf8',
  );
  const original = JSON.parse(installed) as Record<string, unknown>;
  const kept = JSON.parse(bundledManifest(installed)) as Record<string, unknown>;

  it('keeps what resolution and the user agent read, with the same values', () => {
    for (const field of ['name', 'version', 'main', 'module', 'types', 'sideEffects']) {
      expect(kept[field]).toEqual(original[field]);
    }
  });

  it('drops what a bundle does not need, dependency lists first', () => {
    expect(Object.keys(kept)).not.toContain('dependencies');
    expect(Object.keys(kept)).not.toContain('devDependencies');
    expect(bundledManifest(installed).length).toBeLessThan(installed.length / 3);
  });
});
