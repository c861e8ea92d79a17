package gd

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestOptimizerFirstSteps checks two steps of every update rule against
// values worked out by hand from the formulas in the doc comments, with
// η = 0.1, θ₀ = (1, −2), g₁ = (0.5, −1), g₂ = (0.2, 0.4) and Keras'
// defaults for everything else.
func TestOptimizerFirstSteps(t *testing.T) {
	sqrt := math.Sqrt
	cases := map[string][2][2]float64{
		// θ − η g
		NameSGD: {{1 - 0.05, -2 + 0.1}, {0.95 - 0.02, -1.9 - 0.04}},
		// v₁ = −η g₁ = (−0.05, 0.1); v₂ = 0.9 v₁ − η g₂ = (−0.065, 0.05)
		NameMomentum: {{0.95, -1.9}, {0.95 - 0.065, -1.9 + 0.05}},
		// θ += 0.9 v − η g: (1 − 0.045 − 0.05, −2 + 0.09 + 0.1); then 0.9·(−0.065) − 0.02 = −0.0785, 0.9·0.05 − 0.04 = 0.005
		NameNesterov: {{0.905, -1.81}, {0.905 - 0.0785, -1.81 + 0.005}},
		// s₁ = 0.1 g₁² = (0.025, 0.1); s₂ = 0.9 s₁ + 0.1 g₂² = (0.0265, 0.106)
		NameRMSprop: {
			{1 - 0.05/(sqrt(0.025)+1e-7), -2 + 0.1/(sqrt(0.1)+1e-7)},
			{1 - 0.05/(sqrt(0.025)+1e-7) - 0.02/(sqrt(0.0265)+1e-7), -2 + 0.1/(sqrt(0.1)+1e-7) - 0.04/(sqrt(0.106)+1e-7)},
		},
		// step 1: α = 0.1·√0.001/0.1, m = (0.05, −0.1), v = (0.00025, 0.001);
		// step 2: α = 0.1·√(1−0.999²)/(1−0.81), m = (0.065, −0.05), v = (0.00028975, 0.001159)
		NameAdam: {
			{1 - sqrt(0.001)*0.05/(sqrt(0.00025)+1e-7), -2 + sqrt(0.001)*0.1/(sqrt(0.001)+1e-7)},
			{
				1 - sqrt(0.001)*0.05/(sqrt(0.00025)+1e-7) - 0.1*sqrt(1-0.998001)/0.19*0.065/(sqrt(0.00028975)+1e-7),
				-2 + sqrt(0.001)*0.1/(sqrt(0.001)+1e-7) + 0.1*sqrt(1-0.998001)/0.19*0.05/(sqrt(0.001159)+1e-7),
			},
		},
		// G₁ = 0.1 + g₁² = (0.35, 1.1); G₂ = (0.39, 1.26)
		NameAdagrad: {
			{1 - 0.05/(sqrt(0.35)+1e-7), -2 + 0.1/(sqrt(1.1)+1e-7)},
			{1 - 0.05/(sqrt(0.35)+1e-7) - 0.02/(sqrt(0.39)+1e-7), -2 + 0.1/(sqrt(1.1)+1e-7) - 0.04/(sqrt(1.26)+1e-7)},
		},
	}
	cases[NameLazyAdam] = cases[NameAdam] // a dense gradient: Adam's step
	for _, name := range OptimizerNames {
		want, ok := cases[name]
		if !ok {
			t.Errorf("no hand-computed steps for %s", name)
			continue
		}
		opt, err := NewOptimizer(OptimizerConfig{Name: name, LearningRate: 0.1}, 2)
		if err != nil {
			t.Fatal(err)
		}
		p := []float64{1, -2}
		for step, g := range [][]float64{{0.5, -1}, {0.2, 0.4}} {
			opt.Update(p, g)
			for i := range p {
				if math.Abs(p[i]-want[step][i]) > 1e-12 {
					t.Errorf("%s step %d: θ%d = %.15g, by hand %.15g", name, step+1, i, p[i], want[step][i])
				}
			}
		}
	}
}

// TestSparseUpdatesEqualDense: for the rules that implement UpdateSpans, an
// update restricted to the ranges where the gradient is non-zero gives
// bit for bit what the dense update gives.
func TestSparseUpdatesEqualDense(t *testing.T) {
	for _, name := range []string{NameSGD, NameAdagrad} {
		c := OptimizerConfig{Name: name, LearningRate: 0.3, Schedule: Schedule{Name: InverseTime, DecayRate: 0.5, DecaySteps: 1}}
		dense, _ := NewOptimizer(c, 6)
		sp, _ := NewOptimizer(c, 6)
		if _, ok := sp.(SparseOptimizer); !ok {
			t.Fatalf("%s does not implement SparseOptimizer", name)
		}
		a := []float64{1, 2, 3, 4, 5, 6}
		b := append([]float64(nil), a...)
		for step, tc := range []struct {
			g     []float64
			spans [][2]int
		}{
			{[]float64{0, 0.5, -1, 0, 0, 2}, [][2]int{{1, 3}, {5, 6}}},
			{[]float64{0.1, 0, 0, 0, 0.7, 0}, [][2]int{{0, 1}, {4, 5}}},
			{[]float64{0, 0, 0, 0, 0, 0}, nil},
		} {
			dense.Update(a, tc.g)
			sp.(SparseOptimizer).UpdateSpans(b, tc.g, tc.spans)
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("%s step %d: dense θ%d = %v, sparse %v", name, step, i, a[i], b[i])
				}
			}
		}
	}
	for _, name := range []string{NameMomentum, NameNesterov, NameRMSprop, NameAdam} {
		opt, _ := NewOptimizer(OptimizerConfig{Name: name, LearningRate: 0.1}, 1)
		if _, ok := opt.(LazyOptimizer); !ok {
			t.Errorf("%s is not a LazyOptimizer, but a zero gradient still changes its state or parameters", name)
		}
	}
	for _, name := range OptimizerNames {
		opt, _ := NewOptimizer(OptimizerConfig{Name: name, LearningRate: 0.1, Dense: true}, 1)
		if _, ok := opt.(SparseOptimizer); ok {
			t.Errorf("%s with Dense still offers the sparse path", name)
		}
	}
}

// lazyScript is a sequence of sparse gradients over rows of width 3 (5
// rows, 15 parameters, and a tail of 2 that every step touches), with
// rows left out for one step and for many, and touched rows holding +0,
// -0 and non-zero entries.
func lazyScript(steps int) (grads [][]float64, spans [][][2]int) {
	const width, rows, n = 3, 5, 17
	for s := range steps {
		g := make([]float64, n)
		var sp [][2]int
		for r := range rows {
			// Row 0 every step, row 1 every other, row 2 every third,
			// row 3 twice only, row 4 never.
			if r == 0 || r == 1 && s%2 == 0 || r == 2 && s%3 == 1 || r == 3 && (s == 2 || s == steps-3) {
				sp = append(sp, [2]int{r * width, (r + 1) * width})
				for i := r * width; i < (r+1)*width; i++ {
					switch (s + i) % 5 {
					case 0:
						g[i] = 0
					case 1:
						g[i] = math.Copysign(0, -1)
					default:
						g[i] = math.Sin(float64(3*s+i)) / float64(1+i%4)
					}
				}
			}
		}
		sp = append(sp, [2]int{rows * width, n})
		g[15], g[16] = math.Cos(float64(s)), 0.5
		grads, spans = append(grads, g), append(spans, sp)
	}
	return grads, spans
}

// TestLazyMatchesDense: RMSprop, momentum and Nesterov momentum, updated
// lazily as Train does it (the touched rows caught up before the
// gradient when the rule drifts, then updated, everything flushed at the
// end), give the parameters and the state of the dense rule within 1e-12;
// momentum's rows touched at every step bit for bit (their put-off move
// θ ← θ + v is the dense rule's; a row that missed a step moves by
// (1 + μ) v at once, which rounds differently). RMSprop's lazy form runs through its rescaling of S several
// times (a ρ of 0.5 halves D every step).
func TestLazyMatchesDense(t *testing.T) {
	for _, name := range []string{NameRMSprop, NameMomentum, NameNesterov} {
		c := OptimizerConfig{Name: name, LearningRate: 0.05, Schedule: Schedule{Name: InverseTime, DecayRate: 0.5, DecaySteps: 3}}
		steps := 40
		if name == NameRMSprop {
			c.Rho, steps = 0.5, 1600 // 0.5¹⁶⁰⁰ ≈ 1e-482: D is reset 3 times
		}
		grads, spans := lazyScript(steps)
		a := make([]float64, 17)
		for i := range a {
			a[i] = float64(i%7) - 3
		}
		b := append([]float64(nil), a...)
		dense, _ := NewOptimizer(c, len(a))
		lazyOpt, _ := NewOptimizer(c, len(b))
		lazy := lazyOpt.(LazyOptimizer)
		lazy.StartRows(3)
		for s, g := range grads {
			if lazy.Drifts() {
				lazy.CatchUp(b, spans[s])
				for _, sp := range spans[s] {
					for i := sp[0]; i < sp[1]; i++ {
						if a[i] != b[i] && !(math.Abs(a[i]-b[i]) <= 1e-12) {
							t.Fatalf("%s step %d: caught-up θ%d = %v, dense %v", name, s, i, b[i], a[i])
						}
					}
				}
			}
			dense.Update(a, g)
			lazy.UpdateSpans(b, g, spans[s])
		}
		lazy.Flush(b)
		var stateA, stateB []float64
		switch o := dense.(type) {
		case *RMSprop:
			stateA, stateB = o.avg, lazyOpt.(*RMSprop).avg
		case *Momentum:
			stateA, stateB = o.velocity, lazyOpt.(*Momentum).velocity
		}
		for i := range a {
			if d := math.Abs(a[i] - b[i]); !(d <= 1e-12) {
				t.Errorf("%s: θ%d = %v lazily, %v densely (off by %.2g)", name, i, b[i], a[i], d)
			}
			if d := math.Abs(stateA[i] - stateB[i]); !(d <= 1e-12) {
				t.Errorf("%s: state %d = %v lazily, %v densely (off by %.2g)", name, i, stateB[i], stateA[i], d)
			}
			// Momentum's row 0 and the tail are touched at every step
			// (Nesterov's put-off θ ← θ − η g + μ v rounds differently).
			if name == NameMomentum && (i < 3 || i >= 15) && (a[i] != b[i] || stateA[i] != stateB[i]) {
				t.Errorf("%s: entry %d, touched at every step, is not bit for bit the dense one: θ %v / %v, state %v / %v", name, i, b[i], a[i], stateB[i], stateA[i])
			}
		}
		// Row 4 was never touched: RMSprop's average stayed 0 and nothing
		// moved it, momentum's velocity stayed 0.
		for i := 12; i < 15; i++ {
			if b[i] != float64(i%7)-3 {
				t.Errorf("%s: the untouched θ%d moved to %v", name, i, b[i])
			}
		}
	}
}

// adamLazyRun runs the steps of lazyScript (its gradients times scale)
// through the rule c names, densely and lazily as Train does (catch-up
// before the gradient, flush at the end), and returns the worst relative
// error of the lazy path's moves of θ, at the catch-ups and at the end,
// against the dense rule's, and of its moments after the flush. Each
// entry touched at every step must match bit for bit.
func adamLazyRun(t *testing.T, c OptimizerConfig, scale float64) (move, state float64) {
	t.Helper()
	grads, spans := lazyScript(60)
	a := make([]float64, 17)
	for i := range a {
		a[i] = float64(i%7) - 3
	}
	a0 := slices.Clone(a)
	b := slices.Clone(a)
	dense, _ := NewOptimizer(c, len(a))
	lazyOpt, _ := NewOptimizer(c, len(b))
	lazy := lazyOpt.(LazyOptimizer)
	lazy.StartRows(3)
	rel := func(i int) float64 {
		want, got := a[i]-a0[i], b[i]-a0[i]
		if want == 0 {
			return math.Abs(got)
		}
		return math.Abs(got-want) / math.Abs(want)
	}
	for s, g := range grads {
		for i := range g {
			g[i] *= scale
		}
		lazy.CatchUp(b, spans[s])
		for _, sp := range spans[s] {
			for i := sp[0]; i < sp[1]; i++ {
				move = max(move, rel(i))
			}
		}
		dense.Update(a, g)
		lazy.UpdateSpans(b, g, spans[s])
	}
	lazy.Flush(b)
	mv := func(o Optimizer) ([]float64, []float64) {
		switch o := o.(type) {
		case *Adam:
			return o.m, o.v
		case *LazyAdam:
			return o.m, o.v
		}
		t.Fatalf("%T is no Adam", o)
		return nil, nil
	}
	ma, va := mv(dense)
	mb, vb := mv(lazyOpt)
	for i := range a {
		move = max(move, rel(i))
		for _, p := range [][2]float64{{ma[i], mb[i]}, {va[i], vb[i]}} {
			if d := math.Abs(p[0] - p[1]); d > 0 {
				state = max(state, d/math.Abs(p[0]))
			}
		}
		// Row 0 and the tail are touched at every step.
		if c.Name == NameAdam && (i < 3 || i >= 15) && (a[i] != b[i] || ma[i] != mb[i] || va[i] != vb[i]) {
			t.Errorf("entry %d, touched at every step, is not bit for bit the dense one: θ %v / %v", i, b[i], a[i])
		}
	}
	return move, state
}

// TestLazyAdamMatchesDense: Adam updated lazily (rows away for one step,
// for several and for most of the run, touched rows with +0, −0 and
// non-zero gradients, an inverse-time schedule) moves θ as dense Adam
// does, at every catch-up and after the flush, and leaves the same m and
// v: with ε ≈ 0 (1e-300) within rounding (1e-12 relative), for gradients
// of any size; with the default ε within its second-order term, about
// 2.3e-5 of a move where √v is no larger than ε (gradients of 1e-6 and
// 1e-9: 2.1e-5 measured; 1.5e-13 where the gradients are near 1).
// lazyadam, which does not catch rows up, is far off the same run: the
// test can tell.
func TestLazyAdamMatchesDense(t *testing.T) {
	sched := Schedule{Name: InverseTime, DecayRate: 0.5, DecaySteps: 3}
	for _, tc := range []struct {
		eps, scale, move float64
	}{
		{1e-300, 1, 1e-12}, {1e-300, 1e-6, 1e-12}, {1e-300, 1e-9, 1e-12},
		{0, 1, 1e-12}, {0, 1e-4, 2e-6}, {0, 1e-6, 3e-5}, {0, 1e-9, 3e-5},
	} {
		c := OptimizerConfig{Name: NameAdam, LearningRate: 0.05, Epsilon: tc.eps, Schedule: sched}
		move, state := adamLazyRun(t, c, tc.scale)
		if !(move <= tc.move) || !(state <= 1e-12) {
			t.Errorf("ε %g, gradients ×%g: a lazy move is off the dense one by %.3g of it (want ≤ %g), m or v by %.3g", tc.eps, tc.scale, move, tc.move, state)
		}
	}
	c := OptimizerConfig{Name: NameLazyAdam, LearningRate: 0.05, Schedule: sched}
	if move, _ := adamLazyRun(t, c, 1); !(move > 0.1) {
		t.Errorf("lazyadam's moves are within %.3g of dense Adam's: the test cannot tell a rule that does not catch up", move)
	}
}

// TestLazyAdamRuleMovesOnlyWhereTheGradientIs: lazyadam updates the
// entries of the touched rows that have a gradient (here entries 0 and 1
// at every step, entry 2 at every other) exactly as dense Adam updates
// them when they are all it has, with the step's own bias correction; the
// entries whose gradient is +0, inside the rows or outside, keep their
// weights and moments.
func TestLazyAdamRuleMovesOnlyWhereTheGradientIs(t *testing.T) {
	c := OptimizerConfig{Name: NameLazyAdam, LearningRate: 0.01}
	lazyOpt, _ := NewOptimizer(c, 6)
	alone, _ := NewOptimizer(c, 2)
	p := []float64{1, 2, 3, 4, 5, 6}
	q := []float64{1, 2}
	third := 3.0
	m, v := 0.0, 0.0
	for s := range 6 {
		g := []float64{0.1 * float64(s+1), -0.2, 0, 0, 0, 0}
		if s%2 == 1 {
			g[2] = 0.5
		}
		lazyOpt.(SparseOptimizer).UpdateSpans(p, g, [][2]int{{0, 3}})
		alone.Update(q, g[:2])
		if s%2 == 1 { // by hand: Adam's step t = s+1 on entry 2 alone
			t := float64(s + 1)
			m = 0.9*m + 0.1*0.5
			v = 0.999*v + 0.001*0.25
			third -= 0.01 * math.Sqrt(1-math.Pow(0.999, t)) / (1 - math.Pow(0.9, t)) * m / (math.Sqrt(v) + 1e-7)
		}
	}
	for i := range 2 {
		if p[i] != q[i] {
			t.Errorf("θ%d = %v, Adam on the two entries alone gives %v", i, p[i], q[i])
		}
	}
	if math.Abs(p[2]-third) > 1e-15 {
		t.Errorf("θ2, with a gradient every other step, = %v, by hand %v", p[2], third)
	}
	a := lazyOpt.(*LazyAdam)
	for i := 3; i < 6; i++ {
		if p[i] != float64(i+1) || a.m[i] != 0 || a.v[i] != 0 {
			t.Errorf("untouched entry %d changed: θ %v, m %v, v %v", i, p[i], a.m[i], a.v[i])
		}
	}
}

func TestSchedules(t *testing.T) {
	cases := []struct {
		s    Schedule
		t    int
		want float64
	}{
		{Schedule{}, 1000, 0.1},
		{Schedule{Name: Constant}, 7, 0.1},
		{Schedule{Name: Step, DecayRate: 0.5, DecaySteps: 10}, 9, 0.1},
		{Schedule{Name: Step, DecayRate: 0.5, DecaySteps: 10}, 10, 0.05},
		{Schedule{Name: Step, DecayRate: 0.5, DecaySteps: 10}, 25, 0.025},
		{Schedule{Name: Exponential, DecayRate: 0.5, DecaySteps: 10}, 5, 0.1 * math.Sqrt(0.5)},
		{Schedule{Name: Exponential, DecayRate: 0.5, DecaySteps: 10}, 20, 0.025},
		{Schedule{Name: InverseTime, DecayRate: 1, DecaySteps: 10}, 10, 0.05},
		{Schedule{Name: InverseTime, DecayRate: 0.5, DecaySteps: 1}, 4, 0.1 / 3},
	}
	for _, c := range cases {
		if err := c.s.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := c.s.Rate(0.1, c.t); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%+v at step %d: rate %v, want %v", c.s, c.t, got, c.want)
		}
	}
	// The optimiser asks the schedule with the steps it has made.
	opt, _ := NewOptimizer(OptimizerConfig{Name: NameSGD, LearningRate: 1, Schedule: Schedule{Name: Step, DecayRate: 0.1, DecaySteps: 2}}, 1)
	p := []float64{0}
	for range 3 {
		opt.Update(p, []float64{1})
	}
	if want := -(1 + 1 + 0.1); math.Abs(p[0]-want) > 1e-15 {
		t.Errorf("three steps at rates 1, 1, 0.1 moved θ to %v, want %v", p[0], want)
	}
	for _, bad := range []Schedule{{Name: "cosine"}, {Name: Step, DecayRate: 2, DecaySteps: 1}, {Name: Exponential, DecayRate: 0.5}} {
		if bad.Validate() == nil {
			t.Errorf("%+v was accepted", bad)
		}
	}
}

// TestZeroGradientShortcut: RMSprop and Adagrad skip the square root and
// the division where the gradient is +0; the parameters and the state
// must come out as the full formulas give them, bit for bit, with -0 and
// tiny gradients taking the full path.
func TestZeroGradientShortcut(t *testing.T) {
	negZero := math.Copysign(0, -1)
	// Zeros between non-zero gradients: the skipped steps must still decay
	// RMSprop's average.
	steps := [][]float64{
		{0.3, 0.5, negZero, 1e-300, 0, -2},
		{0, 0.5, 0.1, 0, 0, 0},
		{0.2, 0, negZero, 1e-300, 0, -2},
	}
	for _, name := range []string{NameRMSprop, NameAdagrad} {
		opt, _ := NewOptimizer(OptimizerConfig{Name: name, LearningRate: 0.01}, 6)
		p := []float64{1, -2, 3, math.Copysign(0, -1), 0, 4}
		want := append([]float64(nil), p...)
		state := make([]float64, 6) // RMSprop's average, Adagrad's sum
		if name == NameAdagrad {
			for i := range state {
				state[i] = 0.1
			}
		}
		// Adagrad's sparse path (one-example updates of text rows) must
		// agree too.
		spans, _ := NewOptimizer(OptimizerConfig{Name: name, LearningRate: 0.01}, 6)
		sparseOpt, hasSpans := spans.(SparseOptimizer)
		ps := append([]float64(nil), p...)
		for _, g := range steps {
			opt.Update(p, g)
			if hasSpans {
				sparseOpt.UpdateSpans(ps, g, [][2]int{{0, 2}, {2, 6}})
			}
			for i, gi := range g {
				if name == NameRMSprop {
					state[i] = 0.9*state[i] + (1-0.9)*gi*gi
				} else {
					state[i] += gi * gi
				}
				want[i] -= 0.01 * gi / (math.Sqrt(state[i]) + 1e-7)
			}
		}
		for i := range p {
			if math.Float64bits(p[i]) != math.Float64bits(want[i]) {
				t.Errorf("%s: θ%d = %v, the full formula gives %v", name, i, p[i], want[i])
			}
			if hasSpans && math.Float64bits(ps[i]) != math.Float64bits(want[i]) {
				t.Errorf("%s, sparse spans: θ%d = %v, the full formula gives %v", name, i, ps[i], want[i])
			}
		}
		if name == NameAdagrad && !hasSpans {
			t.Error("adagrad no longer has the sparse path")
		}
	}
}

// TestRMSpropLazy4Matches: RMSprop's lazy step gives the same bits four
// and eight entries at a time (where this processor can) as entry by
// entry, for
// gradients of +0 (skipped), -0 (not skipped), tiny and huge values,
// averages of -0 and NaN (which a skipped entry keeps, and which reach its
// parameter unless it is skipped), lengths with and without a remainder
// of 1 to 3.
func TestRMSpropLazy4Matches(t *testing.T) {
	if !haveRMSpropLazy4 {
		t.Skip("no AVX2 here: the lazy step runs entry by entry only")
	}
	defer func(was4, was8 bool) { haveRMSpropLazy4, haveRMSpropLazy8 = was4, was8 }(haveRMSpropLazy4, haveRMSpropLazy8)
	// The kernels each way runs: none, four at a time, eight (where the
	// processor has AVX-512) then four.
	ways := [][2]bool{{false, false}, {true, false}}
	if haveRMSpropLazy8 {
		ways = append(ways, [2]bool{true, true})
	}
	rng := rand.New(rand.NewPCG(4, 4))
	for _, n := range []int{0, 1, 3, 4, 5, 8, 12, 15, 103, 1024} {
		got := make([][]float64, len(ways))
		avgs := make([][]float64, len(ways))
		grad := make([]float64, n)
		for i := range grad {
			switch rng.IntN(6) {
			case 0:
				grad[i] = 0
			case 1:
				grad[i] = math.Copysign(0, -1)
			case 2:
				grad[i] = rng.NormFloat64() * 1e-160
			case 3:
				grad[i] = rng.NormFloat64() * 1e150
			default:
				grad[i] = rng.NormFloat64()
			}
		}
		params := make([]float64, n)
		avg := make([]float64, n)
		for i := range params {
			params[i] = rng.NormFloat64()
			if rng.IntN(4) == 0 {
				params[i] = math.Copysign(0, -1)
			}
			switch avg[i] = rng.ExpFloat64(); rng.IntN(8) {
			case 0: // what a skipped entry keeps as it is: the bits of -0
				avg[i] = math.Copysign(0, -1)
			case 1: // and a NaN, which would spread to its parameter
				avg[i] = math.NaN()
			}
		}
		for k, way := range ways {
			haveRMSpropLazy4, haveRMSpropLazy8 = way[0], way[1]
			o := &RMSprop{Rho: 0.9, Epsilon: 1e-7}
			o.init()
			o.avg = append([]float64(nil), avg...)
			o.stepScale, o.stepKeep = 0.81, 0.1/0.81
			p := append([]float64(nil), params...)
			c := &chunks{params: p, grad: grad, lr: 0.001}
			o.lazyChunk(c, 0, n)
			got[k], avgs[k] = p, o.avg
		}
		for k := 1; k < len(ways); k++ {
			for i := range got[0] {
				if math.Float64bits(got[0][i]) != math.Float64bits(got[k][i]) || math.Float64bits(avgs[0][i]) != math.Float64bits(avgs[k][i]) {
					t.Fatalf("n %d, entry %d (gradient %v): parameter %v and average %v entry by entry, %v and %v with kernels %v",
						n, i, grad[i], got[0][i], avgs[0][i], got[k][i], avgs[k][i], ways[k])
				}
			}
		}
	}
}

// TestAdamMove4Matches: lazy Adam's catch-up four entries at a time
// (adam_amd64.s) moves every weight to the same bits as the loop entry by
// entry, for moments of every size, zero and subnormal, and the -0 of a
// weight.
func TestAdamMove4Matches(t *testing.T) {
	if !haveAdamMove4 {
		t.Skip("no AVX here: the catch-up runs entry by entry only")
	}
	defer func(was bool) { haveAdamMove4 = was }(haveAdamMove4)
	rng := rand.New(rand.NewPCG(5, 5))
	for _, n := range []int{1, 3, 4, 5, 8, 103, 1024} {
		params, m, v := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range params {
			params[i] = rng.NormFloat64()
			if rng.IntN(4) == 0 {
				params[i] = math.Copysign(0, -1)
			}
			m[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-30))
			v[i] = m[i] * m[i] * rng.Float64() * 100
			switch rng.IntN(8) {
			case 0:
				m[i], v[i] = 0, 0
			case 1:
				m[i], v[i] = 1e-310, 1e-318 // subnormal
			}
		}
		var got [2][]float64
		for k, avx := range []bool{false, true} {
			haveAdamMove4 = avx
			o := &Adam{Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7, m: m, v: v}
			o.StartRows(n + 1) // one row of all n
			o.series.q1[0], o.series.q2[0] = 0.003, 0.0031
			o.clock.done[0], o.decay[0], o.lag[0] = 0, 0, false
			p := slices.Clone(params)
			o.move(p, 0)
			got[k] = p
		}
		for i := range got[0] {
			if math.Float64bits(got[0][i]) != math.Float64bits(got[1][i]) {
				t.Fatalf("n %d, entry %d (m %v, v %v): %v entry by entry, %v four at a time", n, i, m[i], v[i], got[0][i], got[1][i])
			}
		}
	}
}

// TestAdamMoments4Matches: lazy Adam's step four entries at a time
// (adam_amd64.s) leaves the moments at the same bits as the loop entry by
// entry, with and without a put-off decay, for gradients and moments of
// every size, zero, -0 and subnormal.
func TestAdamMoments4Matches(t *testing.T) {
	if !haveAdamMove4 {
		t.Skip("no AVX here: the step runs entry by entry only")
	}
	defer func(was bool) { haveAdamMove4 = was }(haveAdamMove4)
	rng := rand.New(rand.NewPCG(6, 6))
	for _, n := range []int{1, 3, 4, 5, 8, 103, 1024} {
		g, m, v := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range g {
			g[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-30))
			m[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-30))
			v[i] = m[i] * m[i] * rng.Float64() * 100
			switch rng.IntN(8) {
			case 0:
				g[i] = math.Copysign(0, -1)
			case 1:
				m[i], v[i] = 0, 0
			case 2:
				g[i], m[i], v[i] = 1e-310, 1e-310, 1e-318 // subnormal
			}
		}
		for _, f := range [][2]float64{{1, 1}, {0.729, 0.997002999}} {
			var gotM, gotV [2][]float64
			for k, avx := range []bool{false, true} {
				haveAdamMove4 = avx
				gotM[k], gotV[k] = slices.Clone(m), slices.Clone(v)
				adamMoments(g, gotM[k], gotV[k], f[0], f[1], 0.9, 0.999)
			}
			for i := range g {
				if math.Float64bits(gotM[0][i]) != math.Float64bits(gotM[1][i]) || math.Float64bits(gotV[0][i]) != math.Float64bits(gotV[1][i]) {
					t.Fatalf("n %d, decay %v, entry %d (g %v, m %v, v %v): m %v and v %v entry by entry, %v and %v four at a time",
						n, f, i, g[i], m[i], v[i], gotM[0][i], gotV[0][i], gotM[1][i], gotV[1][i])
				}
			}
		}
	}
}

// TestAdamStepMove4Matches: lazy Adam's step and catch-up of a row in one
// pass four entries at a time (adam_amd64.s) leaves the weights and the
// moments at the same bits as adamMoments and then move's loop entry by
// entry.
func TestAdamStepMove4Matches(t *testing.T) {
	if !haveAdamMove4 {
		t.Skip("no AVX here: the one pass runs entry by entry only")
	}
	defer func(was bool) { haveAdamMove4 = was }(haveAdamMove4)
	rng := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{1, 3, 4, 5, 8, 103, 1024} {
		g, p, m, v := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range g {
			g[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-30))
			p[i] = rng.NormFloat64()
			m[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-30))
			v[i] = m[i] * m[i] * rng.Float64() * 100
			switch rng.IntN(8) {
			case 0:
				g[i], p[i] = math.Copysign(0, -1), math.Copysign(0, -1)
			case 1:
				g[i], m[i], v[i] = 0, 0, 0
			case 2:
				g[i], m[i], v[i] = 1e-310, 1e-310, 1e-318 // subnormal
			}
		}
		// Entry by entry, as two passes: the moments, then the move.
		wantP, wantM, wantV := slices.Clone(p), slices.Clone(m), slices.Clone(v)
		haveAdamMove4 = false
		adamMoments(g, wantM, wantV, 0.729, 0.997002999, 0.9, 0.999)
		for i := range wantP {
			wantP[i] -= 0.003 * wantM[i] / (math.Sqrt(wantV[i]) + 1.1e-7)
		}
		for _, avx := range []bool{false, true} {
			haveAdamMove4 = avx
			gotP, gotM, gotV := slices.Clone(p), slices.Clone(m), slices.Clone(v)
			adamStepMove(g, gotP, gotM, gotV, 0.729, 0.997002999, 0.9, 0.999, 0.003, 1.1e-7)
			for i := range g {
				if math.Float64bits(gotP[i]) != math.Float64bits(wantP[i]) || math.Float64bits(gotM[i]) != math.Float64bits(wantM[i]) || math.Float64bits(gotV[i]) != math.Float64bits(wantV[i]) {
					t.Fatalf("avx %v, n %d, entry %d (g %v, m %v, v %v): θ %v, m %v, v %v in one pass, %v, %v, %v in two",
						avx, n, i, g[i], m[i], v[i], gotP[i], gotM[i], gotV[i], wantP[i], wantM[i], wantV[i])
				}
			}
		}
	}
}
