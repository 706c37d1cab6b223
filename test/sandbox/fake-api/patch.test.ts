import { describe, expect, it } from '@jest/globals';
import { jsonPatch, mergePatch } from '../../../sandbox/fake-api/patch.js';

describe('mergePatch (RFC 7386)', () => {
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: { b: 'c', d: 'e' } }, { a: { b: null } }, { a: { d: 'e' } }],
    [{ a: [1, 2] }, { a: [3] }, { a: [3] }],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'b' }, { $patch: 'replace', a: 'c' }, { a: 'c' }],
  ])('%j + %j = %j', (target, patch, want) => {
    expect(mergePatch(target, patch)).toEqual(want);
  });

  it('never sets a prototype', () => {
    const out = mergePatch({}, JSON.parse('{"__proto__":{"polluted":true}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.polluted).toBeUndefined();
  });

  it('leaves the target untouched', () => {
    const target = { a: { b: 'c' } };
    mergePatch(target, { a: { b: 'd' } });
    expect(target).toEqual({ a: { b: 'c' } });
  });
});

describe('jsonPatch (RFC 6902)', () => {
  const doc = { metadata: { name: 'x', labels: { 'a/b': '1' } }, list: ['p', 'q'] };
  it.each([
    [
      [{ op: 'add', path: '/metadata/annotations', value: { k: 'v' } }],
      { ...doc, metadata: { ...doc.metadata, annotations: { k: 'v' } } },
    ],
    [[{ op: 'remove', path: '/metadata/labels/a~1b' }], { ...doc, metadata: { name: 'x', labels: {} } }],
    [[{ op: 'replace', path: '/list/0', value: 'z' }], { ...doc, list: ['z', 'q'] }],
    [[{ op: 'add', path: '/list/-', value: 'r' }], { ...doc, list: ['p', 'q', 'r'] }],
    [[{ op: 'add', path: '/list/1', value: 'm' }], { ...doc, list: ['p', 'm', 'q'] }],
    [[{ op: 'move', from: '/list', path: '/moved' }], { metadata: doc.metadata, moved: ['p', 'q'] }],
    [[{ op: 'copy', from: '/metadata/name', path: '/copy' }], { ...doc, copy: 'x' }],
    [[{ op: 'test', path: '/metadata/name', value: 'x' }], doc],
  ])('%j', (ops, want) => {
    expect(jsonPatch(doc, ops)).toEqual(want);
  });

  it.each([
    [[{ op: 'replace', path: '/nope', value: 1 }], 422],
    [[{ op: 'remove', path: '/list/5' }], 422],
    [[{ op: 'test', path: '/metadata/name', value: 'y' }], 422],
    [[{ op: 'frobnicate', path: '/a' }], 400],
    [[{ op: 'add', path: 'no-slash', value: 1 }], 400],
    [[{ path: '/a' }], 400],
    [[{ op: 'add', path: '/__proto__/polluted', value: 1 }], 422],
    [{ op: 'add' }, 400],
  ])('%j fails with %d', (ops, code) => {
    expect(() => jsonPatch(doc, ops)).toThrow(expect.objectContaining({ code }));
  });
});
