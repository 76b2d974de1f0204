package ui

import "time"

// What a screen cannot show. Each accessor below reads one thing of the
// model that tests check and that no frame can prove: how much work a
// cache saved, or a timing. Everything a screen can show is read from the
// screen (helpers_test.go).

// rowRenders counts the markets table's rows rendered since start: the
// row cache's invariant (only changed rows are rebuilt) leaves the screen
// the same whether it holds or not.
func (hs *harness) rowRenders() int { return hs.m.a.table.renders }

// chartDraws counts the detail pane's chart drawings: a stale candles
// reply must not be drawn, which a frame cannot tell from a redraw of the
// same chart.
func (hs *harness) chartDraws() int { return hs.m.a.detail.draws }

// tickEvery is the render tick's interval: the harness makes ticks
// instant, so no frame shows it.
func (hs *harness) tickEvery() time.Duration { return hs.m.a.tickEvery() }
