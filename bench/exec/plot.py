#!/usr/bin/env python3
"""bench/exec/plot.py [DATA_DIR] - exec mode against RFF and PERIOD.

Reads DATA_DIR/summary.csv (program,source,found,trials,mean_schedules: the
trials of `mmfuzz run --exec` per program and decision source) and plots the
mean schedules to the first bug beside the published figures (RFF artifact,
20 trials x 5 min): DATA_DIR/exec_vs_rff.png and .svg.  Prints the table,
with the geometric means over the programs every column found."""
import csv
import math
import os
import sys

DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', 'docs', 'data', 'exec')

# Published: mean schedules to the first bug (RFF, PERIOD, PCT3, POS);
# None: not found.  Source: the RFF artifact's tables.
PUBLISHED = {
    'cve-2016-9806': (10.6, 6.0, 4.0, 14.4),
    'cve-2011-2183': (2.4, 3.0, 8.8, 2.0),
    'cve-2016-7911': (13.2, 3.0, 16.2, 11.8),
    'cve-2017-6346': (4.8, 5.0, 15.1, 13.2),
    'cve-2016-1972': (39.0, 3.0, None, 86.3),
    'deadlock01': (4.7, 3.0, 20.1, 4.3),
    'lazy01': (6.4, 7.0, 10.2, 5.2),
    'wronglock': (1.0, 4.3, 88.2, 1.0),
    'reorder_4': (6.2, 9.0, 395.0, 1464.0),
    'boundedBuffer': (8.3, 7.8, 15.0, 6.4),
}
ORDER = list(PUBLISHED)


def load():
    ours = {}
    with open(os.path.join(DATA, 'summary.csv')) as f:
        for r in csv.DictReader(f):
            m = r['mean_schedules']
            ours[(r['program'], r['source'])] = (
                float(m) if m else None, int(r['found']), int(r['trials']))
    return ours


def geo(xs):
    xs = [x for x in xs if x]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def main():
    ours = load()
    sources = sorted({s for (_, s) in ours}, key=lambda s: (s != 'random', s))
    cols = ['RFF', 'PERIOD', 'PCT3', 'POS'] + ['mmfuzz ' + s for s in sources]
    print('| program | ' + ' | '.join(cols) + ' |')
    print('|---' * (len(cols) + 1) + '|')
    rows = []
    for p in ORDER:
        pub = PUBLISHED[p]
        cells = ['not found' if v is None else f'{v:g}' for v in pub]
        mine = []
        for s in sources:
            m, found, trials = ours.get((p, s), (None, 0, 0))
            mine.append(m if found == trials and trials else None)
            cells.append(('-' if m is None else f'{m:.1f}') + f' ({found}/{trials})')
        rows.append((p, pub, mine))
        print(f'| {p} | ' + ' | '.join(cells) + ' |')
    # geometric means over the programs that RFF and the source both found in every trial
    for i, s in enumerate(sources):
        both = [(pub[0], mine[i]) for _, pub, mine in rows if pub[0] and mine[i]]
        g_rff, g_us = geo([a for a, _ in both]), geo([b for _, b in both])
        print(f'geometric mean over {len(both)} programs: RFF {g_rff:.2f}, mmfuzz {s} '
              f'{g_us:.2f} ({g_us / g_rff:.2f}x RFF)')
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        print('plot.py: no matplotlib: no plot', file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(11, 4.5))
    series = [('RFF', [pub[0] for _, pub, _ in rows]), ('PERIOD', [pub[1] for _, pub, _ in rows]),
              ('PCT3 (RFF artifact)', [pub[2] for _, pub, _ in rows])]
    series += [(f'mmfuzz {s}', [mine[i] for _, _, mine in rows]) for i, s in enumerate(sources)]
    w = 0.8 / len(series)
    for k, (name, vals) in enumerate(series):
        xs = [i + (k - len(series) / 2 + 0.5) * w for i in range(len(rows))]
        ax.bar([x for x, v in zip(xs, vals) if v], [v for v in vals if v], w, label=name)
        for x, v in zip(xs, vals):
            if not v:
                ax.text(x, 0.55, 'x', ha='center', va='bottom', fontsize=8, color='red')
    ax.set_yscale('log')
    ax.set_ylim(bottom=0.5)     # a mean of 1.0 still shows as a bar
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([p for p, _, _ in rows], rotation=25, ha='right')
    ax.set_ylabel('mean schedules to the first bug (log)')
    ax.set_title('Exec mode against RFF and PERIOD (x: not found in every trial)')
    ax.legend(fontsize=8, ncol=3)
    ax.grid(axis='y', alpha=0.3)
    fig.tight_layout()
    for ext in ('png', 'svg'):
        fig.savefig(os.path.join(DATA, f'exec_vs_rff.{ext}'), dpi=110)


if __name__ == '__main__':
    main()
