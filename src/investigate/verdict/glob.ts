/** Case-insensitive glob with `*` only, matched without regular expressions (linear in practice). */
export function globMatch(glob: string, value: string): boolean {
  const g = glob.toLowerCase();
  const v = value.toLowerCase();
  const parts = g.split('*');
  if (parts.length === 1) return g === v;
  if (!v.startsWith(parts[0])) return false;
  let pos = parts[0].length;
  for (let i = 1; i < parts.length - 1; i++) {
    const at = v.indexOf(parts[i], pos);
    if (at < 0) return false;
    pos = at + parts[i].length;
  }
  const last = parts[parts.length - 1];
  return v.length - last.length >= pos && v.endsWith(last);
}
