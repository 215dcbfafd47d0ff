import { describe, expect, it } from 'vitest';
import { rawScalarFields, sameFieldsAsRawScalars } from './event.js';

describe('fields rebuilt from raw scalars', () => {
  const raw = { EventID: 1, Channel: 'Security', ProcessId: 4242, Image: 'C:\\x.exe' };
  const flat = () => Object.assign(Object.create(null) as Record<string, unknown>, { Channel: 'Security', EventID: 1, ProcessId: '4242', Image: 'C:\\x.exe' });

  it('accepts exactly the raw object with numbers as strings (EventID kept a number), in any key order', () => {
    expect(sameFieldsAsRawScalars(raw, flat())).toBe(true);
    expect({ ...rawScalarFields(JSON.stringify(raw)) }).toEqual({ ...flat() });
  });

  it('refuses any difference: a renamed, missing or extra key, a changed value, other value types', () => {
    expect(sameFieldsAsRawScalars({ ...raw, Extra: 'x' }, flat())).toBe(false);
    expect(sameFieldsAsRawScalars(raw, Object.assign(flat(), { Computer: 'h' }))).toBe(false);
    expect(sameFieldsAsRawScalars(raw, Object.assign(flat(), { Image: 'C:\\y.exe' }))).toBe(false);
    expect(sameFieldsAsRawScalars({ ...raw, EventID: '1' }, flat())).toBe(false); // the flat EventID is a number
    expect(sameFieldsAsRawScalars({ ...raw, ProcessId: 42.5 }, Object.assign(flat(), { ProcessId: '42.5' }))).toBe(false);
    expect(sameFieldsAsRawScalars({ ...raw, ProcessId: 2 ** 60 }, Object.assign(flat(), { ProcessId: String(2 ** 60) }))).toBe(false);
    expect(sameFieldsAsRawScalars({ ...raw, Image: true }, Object.assign(flat(), { Image: 'true' }))).toBe(false);
    expect(sameFieldsAsRawScalars({ ...raw, Image: null }, Object.assign(flat(), { Image: '' }))).toBe(false);
    expect(sameFieldsAsRawScalars({ ...raw, Image: { a: 1 } }, Object.assign(flat(), { Image: '{"a":1}' }))).toBe(false);
  });

  it('keeps attacker-chosen keys as plain keys when rebuilding', () => {
    const f = rawScalarFields('{"__proto__":"x","constructor":7,"EventID":4624}');
    expect(Object.getPrototypeOf(f)).toBe(null);
    expect(f.__proto__).toBe('x');
    expect(f.constructor).toBe('7');
    expect(f.EventID).toBe(4624);
  });
});

describe('braced GUIDs in fields rebuilt from raw', () => {
  it('accepts a GUID that differs only in letter case and rebuilds it upper-case, as the Windows canonical form does', () => {
    const raw = { EventID: 1, ProcessGuid: '{4b4d9c55-6a1b-65f0-0d00-000000000a00}', Other: '{not-a-guid}' };
    const flat = Object.assign(Object.create(null) as Record<string, unknown>, { EventID: 1, ProcessGuid: '{4B4D9C55-6A1B-65F0-0D00-000000000A00}', Other: '{not-a-guid}' });
    expect(sameFieldsAsRawScalars(raw, flat)).toBe(true);
    expect({ ...rawScalarFields(JSON.stringify(raw)) }).toEqual({ ...flat });
    // An unbraced GUID gains braces in the canonical form: not rebuildable, so stored.
    const bare = { EventID: 1, ProcessGuid: '4b4d9c55-6a1b-65f0-0d00-000000000a00' };
    expect(sameFieldsAsRawScalars(bare, Object.assign(Object.create(null) as Record<string, unknown>, { EventID: 1, ProcessGuid: '{4B4D9C55-6A1B-65F0-0D00-000000000A00}' }))).toBe(false);
    // Any other case difference is a different value.
    expect(sameFieldsAsRawScalars({ EventID: 1, Image: 'a.exe' }, Object.assign(Object.create(null) as Record<string, unknown>, { EventID: 1, Image: 'A.EXE' }))).toBe(false);
  });
});
