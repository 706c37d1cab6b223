import { describe, expect, it } from '@jest/globals';
import { parseFieldSelector, parseLabelSelector, selectedName } from '../../../sandbox/fake-api/selectors.js';

const obj = (labels: Record<string, string>, fields: Record<string, string> = {}) => ({
  labels,
  field: (path: string) => fields[path] ?? '',
});

describe('parseLabelSelector', () => {
  it.each([
    ['', {}, true],
    ['app=web', { app: 'web' }, true],
    ['app=web', { app: 'db' }, false],
    ['app=web', {}, false],
    ['app==web', { app: 'web' }, true],
    ['app!=web', {}, true],
    ['app!=web', { app: 'web' }, false],
    ['app in (web, db)', { app: 'db' }, true],
    ['app in (web)', {}, false],
    ['app notin (web)', {}, true],
    ['app notin (web,db)', { app: 'db' }, false],
    ['app', { app: '' }, true],
    ['!app', { app: '' }, false],
    ['!app', { other: 'x' }, true],
    ['example.com/role=edge,tier', { 'example.com/role': 'edge', tier: 'x' }, true],
    ['app in (a,b),env notin (prod),!canary', { app: 'b', env: 'dev' }, true],
    ['replicas>2', { replicas: '3' }, true],
    ['replicas<2', { replicas: '3' }, false],
    ['app=', { app: '' }, true],
  ])('%s on %j is %s', (selector, labels, want) => {
    expect(parseLabelSelector(selector)(obj(labels))).toBe(want);
  });

  it.each(['app in (web', 'app=web=x', 'Bad Key=x', 'app=-bad-', 'n>x', ',', 'a in ()x'])(
    'rejects %s with 400',
    (selector) => {
      expect(() => parseLabelSelector(selector)).toThrow(expect.objectContaining({ code: 400 }));
    },
  );
});

describe('parseFieldSelector', () => {
  const pod = obj({}, { 'metadata.name': 'p', 'metadata.namespace': 'ns', 'spec.nodeName': 'n1' });
  it.each([
    ['metadata.name=p', true],
    ['metadata.name==p,metadata.namespace=ns', true],
    ['metadata.namespace!=ns', false],
    ['spec.nodeName=n1', true],
    ['spec.nodeName=', false],
  ])('%s is %s', (selector, want) => {
    expect(parseFieldSelector(selector, ['spec.nodeName'])(pod)).toBe(want);
  });

  it('rejects fields the kind does not support', () => {
    expect(() => parseFieldSelector('spec.nodeName=n1', [])).toThrow(
      'field label not supported: spec.nodeName',
    );
    expect(() => parseFieldSelector('metadata.name', [])).toThrow(expect.objectContaining({ code: 400 }));
  });
});

describe('selectedName', () => {
  it.each([
    ['metadata.name=plan', 'plan'],
    ['metadata.namespace=x,metadata.name==plan', 'plan'],
    ['metadata.name!=plan', undefined],
    [null, undefined],
  ])('%s -> %s', (selector, want) => {
    expect(selectedName(selector)).toBe(want);
  });
});
