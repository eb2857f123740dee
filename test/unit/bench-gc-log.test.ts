// The brokers' GC pauses: JDK unified GC log lines parsed into pauses, and the pauses of a window
// summed up for a latency phase.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brokerGcText, parseGcLine, parseGcLog, summarizePauses } from '../../src/bench/gc-log.js';

// A stretch of a G1 broker's log with -Xlog:gc*:file=gc.log:time,uptime,level,tags.
const LOG = `[2026-12-08T02:43:34.900+0000][83.862s][info][gc,start    ] GC(239) Pause Young (Concurrent Start) (G1 Evacuation Pause)
[2026-12-08T02:43:34.900+0000][83.862s][info][gc,task     ] GC(239) Using 2 workers of 2 for evacuation
[2026-12-08T02:43:35.040+0000][84.002s][info][gc,phases   ] GC(239)   Evacuate Collection Set: 199.8ms
[2026-12-08T02:43:35.040+0000][84.002s][info][gc,heap     ] GC(239) Eden regions: 192->0(190)
[2026-12-08T02:43:35.040+0000][84.002s][info][gc          ] GC(239) Pause Young (Concurrent Start) (G1 Evacuation Pause) 359M->167M(413M) 207.121ms
[2026-12-08T02:43:35.040+0000][84.002s][info][gc,cpu      ] GC(239) User=0.11s Sys=0.02s Real=0.21s
[2026-12-08T02:43:35.040+0000][84.002s][info][gc          ] GC(240) Concurrent Mark Cycle
[2026-12-08T02:43:35.200+0000][84.162s][info][gc,marking  ] GC(240) Concurrent Mark 159.870ms
[2026-12-08T02:43:35.357+0000][84.319s][info][gc          ] GC(240) Pause Remark 171M->171M(413M) 157.050ms
[2026-12-08T02:43:35.360+0000][84.322s][info][gc          ] GC(240) Pause Cleanup 171M->171M(413M) 0.123ms
[2026-12-08T02:43:35.362+0000][84.324s][info][gc          ] GC(240) Concurrent Mark Cycle 321.998ms
[2026-12-08T02:43:36.000+0000][84.962s][info][gc          ] GC(241) Pause Full (System.gc()) 200M->90M(413M) 48.500ms
[2026-12-08T02:43:36.500+0000][85.462s][info][gc          ] GC(242) Pause Young (Normal) (G1 Evacuation Pause) 250M->100M(413M) 12.000ms
`;

test('pause lines of the gc tag become pauses: time of the first decoration, kind with its causes, length', () => {
  assert.deepEqual(parseGcLine('[2026-12-08T02:43:35.040+0000][84.002s][info][gc          ] GC(239) Pause Young (Concurrent Start) (G1 Evacuation Pause) 359M->167M(413M) 207.121ms'), {
    atMs: Date.parse('2026-12-08T02:43:35.040Z'),
    kind: 'Young (Concurrent Start) (G1 Evacuation Pause)',
    ms: 207.121,
  });
  assert.deepEqual(parseGcLine('[2026-12-08T02:43:35.357+0000][84.319s][info][gc] GC(295) Pause Remark 171M->171M(413M) 157.050ms'), {
    atMs: Date.parse('2026-12-08T02:43:35.357Z'),
    kind: 'Remark',
    ms: 157.05,
  });
  // Another zone, a padded level, a cause with parentheses of its own.
  assert.deepEqual(parseGcLine('[2026-12-08T03:43:36.000+0100][84.962s][info ][gc  ] GC(241) Pause Full (System.gc()) 200M->90M(413M) 48.500ms'), {
    atMs: Date.parse('2026-12-08T02:43:36.000Z'),
    kind: 'Full (System.gc())',
    ms: 48.5,
  });
});

test('detail lines of other tags, concurrent phases and lines without a time are no pauses', () => {
  // gc,start names the pause too, but without its length: only the gc line counts it.
  assert.equal(parseGcLine('[2026-12-08T02:43:34.900+0000][83.862s][info][gc,start    ] GC(239) Pause Young (Concurrent Start) (G1 Evacuation Pause)'), undefined);
  assert.equal(parseGcLine('[2026-12-08T02:43:35.040+0000][84.002s][info][gc,phases   ] GC(239) Pause Young 1M->1M(4M) 1.000ms'), undefined, 'a pause-like line of another tag');
  assert.equal(parseGcLine('[2026-12-08T02:43:35.200+0000][84.162s][info][gc,marking  ] GC(240) Concurrent Mark 159.870ms'), undefined);
  assert.equal(parseGcLine('[2026-12-08T02:43:35.362+0000][84.324s][info][gc          ] GC(240) Concurrent Mark Cycle 321.998ms'), undefined);
  assert.equal(parseGcLine('[84.319s][info][gc] GC(295) Pause Remark 171M->171M(413M) 157.050ms'), undefined, 'uptime only: no wall-clock time');
  assert.equal(parseGcLine('GC(295) Pause Remark 171M->171M(413M) 157.050ms'), undefined);
  assert.equal(parseGcLine(''), undefined);
  assert.deepEqual(
    parseGcLog(LOG).map((p) => [p.kind, p.ms]),
    [
      ['Young (Concurrent Start) (G1 Evacuation Pause)', 207.121],
      ['Remark', 157.05],
      ['Cleanup', 0.123],
      ['Full (System.gc())', 48.5],
      ['Young (Normal) (G1 Evacuation Pause)', 12],
    ],
  );
});

test('a window holds the pauses logged from its start up to, not including, its end', () => {
  const pauses = parseGcLog(LOG);
  const at = (t: string): number => Date.parse(`2026-12-08T02:43:${t}Z`);
  assert.deepEqual(summarizePauses(pauses, at('35.000'), at('36.000')), { pauses: 3, totalMs: 364.294, maxMs: 207.121, maxKind: 'Young (Concurrent Start) (G1 Evacuation Pause)' });
  // The Full pause is logged at 36.000 exactly: the next window's, not this one's.
  assert.deepEqual(summarizePauses(pauses, at('36.000'), at('37.000')), { pauses: 2, totalMs: 60.5, maxMs: 48.5, maxKind: 'Full (System.gc())' });
  assert.deepEqual(summarizePauses(pauses, at('35.041'), at('35.357')), { pauses: 0, totalMs: 0, maxMs: 0 });
  assert.equal(summarizePauses(pauses, at('35.041'), at('35.358')).maxKind, 'Remark');
});

test("the brokers' pauses in a line of text", () => {
  assert.equal(
    brokerGcText({ source: { pauses: 12, totalMs: 90.4, maxMs: 14.2, maxKind: 'Young (Normal) (G1 Evacuation Pause)' }, target: { pauses: 1, totalMs: 9.96, maxMs: 9.96, maxKind: 'Remark' } }),
    "brokers' GC: source max 14 ms (12 pauses, 90 ms), target max 10 ms (1 pause, 10 ms)",
  );
  assert.equal(brokerGcText({ target: { pauses: 0, totalMs: 0, maxMs: 0 } }), "brokers' GC: target none");
  assert.equal(brokerGcText({ source: { pauses: 2, totalMs: 0.5, maxMs: 0.36 } }), "brokers' GC: source max 0.4 ms (2 pauses, 0.5 ms)");
  assert.equal(brokerGcText({}), undefined);
  assert.equal(brokerGcText(undefined), undefined);
});
