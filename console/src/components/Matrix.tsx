/**
 * The ATT&CK heat map: one column per tactic (kill-chain order), one button per technique
 * coloured by the caller (coverage state, or a Navigator layer's colour/score), its sub-techniques
 * as small squares under the name, or as their own rows when expanded. Colours are validated hex
 * strings set through the style object (CSSOM, allowed by the CSP); every label is text.
 */
import { memo } from 'react';
import { bestOf, inkFor, matches, type MatrixCell, type MatrixColumn } from '../coverage';
import { text } from '../util';

interface Props {
  columns: MatrixColumn[];
  selected?: string;
  onSelect: (id: string) => void;
  /** Search text: cells that do not match are dimmed. */
  query?: string;
  /** Style keys dimmed by the legend filter. */
  hidden?: ReadonlySet<string>;
  expanded?: boolean;
  testId?: string;
}

function Cell({ c, sub, selected, onSelect, faded }: { c: MatrixCell; sub?: boolean; selected?: string; onSelect: (id: string) => void; faded: (c: MatrixCell) => boolean }) {
  const best = bestOf(c);
  const coloured = c.subs.filter((s) => s.color).length;
  return (
    <button
      type="button"
      className={`mcell${sub ? ' sub' : ''}${selected === c.id ? ' selected' : ''}${faded(c) ? ' faded' : ''}${c.dim ? ' disabled' : ''}`}
      style={{ backgroundColor: c.color ?? '#ffffff', color: inkFor(c.color) }}
      title={`${c.id} ${c.name}: ${c.label}${best !== c ? `; best sub-technique ${best.id}: ${best.label}` : ''}`}
      onClick={() => onSelect(c.id)}
      data-testid="technique-cell"
      data-technique={c.id}
      data-state={c.styleKey}
    >
      <span className="mid">{c.id}</span>
      <span className="mname">{text(c.name, 80)}</span>
      {!sub && c.subs.length > 0 && (
        <span className="msubs" aria-label={`${coloured} of ${c.subs.length} sub-techniques coloured`}>
          {c.subs.map((s) => (
            <i key={s.id} style={{ backgroundColor: s.color ?? '#ffffff' }} />
          ))}
        </span>
      )}
    </button>
  );
}

export const Matrix = memo(function Matrix({ columns, selected, onSelect, query = '', hidden, expanded, testId = 'coverage-matrix' }: Props) {
  const faded = (c: MatrixCell) => (!!query && !matches(c, query) && !c.subs.some((s) => matches(s, query))) || (!!hidden && !!c.styleKey && hidden.has(c.styleKey) && !c.subs.some((s) => s.styleKey && !hidden.has(s.styleKey)));
  return (
    <div className="matrix-wrap">
      <div className="matrix" data-testid={testId} role="grid" aria-label="ATT&CK matrix">
        {columns.map((col) => {
          const coloured = col.cells.filter((c) => c.color).length;
          return (
            <div key={col.tactic} className="mcol" role="row">
              <div className="mhead" role="columnheader">
                <strong>{text(col.name, 40)}</strong>
                <span className="muted small">
                  {coloured}/{col.cells.length}
                </span>
              </div>
              {col.cells.map((c) => (
                <div key={c.id} className="mgroup">
                  <Cell c={c} selected={selected} onSelect={onSelect} faded={faded} />
                  {expanded && c.subs.map((s) => <Cell key={s.id} c={s} sub selected={selected} onSelect={onSelect} faded={faded} />)}
                </div>
              ))}
            </div>
          );
        })}
      </div>
    </div>
  );
});
