package data

import (
	"slices"
	"testing"
)

// Model files record the fingerprint of their training data: the bytes
// hashed must never change, for any kind of examples. The values are those
// the first model files were written with (dlc 0.1).
func TestFingerprintIsStable(t *testing.T) {
	for _, c := range []struct {
		name string
		e    *Examples
		want string
	}{
		{"texts", &Examples{Texts: []string{"a good film", ""}, Labels: []string{"pos", "neg"}}, "da5000503a2b05cfbb9f6d3a5eb5cc868bfe826479eb7afef39582927615cd62"},
		{"table", &Examples{Table: &Table{Columns: []string{"x1", "x2"}, Values: []float64{1, -2.5, 0, 3}, Lines: []int{2, 3}}, Labels: []string{"1.5", "-2"}}, "bd79afd3ced938c27cc3a394c8ab328390cfaaef6b082e9bafb128cc758f420e"},
		{"images", &Examples{Images: &IDXImages{Count: 2, Rows: 1, Cols: 2, Pixels: []uint8{0, 255, 7, 9}}, Labels: []string{"3", "7"}}, "49b60edbc7b7333bec4b4dfc7326c79843b821e86f30b9fbd175691fc8d862da"},
	} {
		if got := c.e.Fingerprint(); got != c.want {
			t.Errorf("%s: fingerprint %s, want %s", c.name, got, c.want)
		}
	}
}

// A subset keeps the chosen examples of each kind, in the order asked.
func TestExamplesSubset(t *testing.T) {
	e := &Examples{Texts: []string{"a", "b", "c"}, Labels: []string{"x", "y", "x"}}
	s := e.Subset([]int{2, 0}, "part")
	if !slices.Equal(s.Texts, []string{"c", "a"}) || !slices.Equal(s.Labels, []string{"x", "x"}) || s.Path != "part" {
		t.Errorf("subset %+v", s)
	}
	im := &Examples{Images: &IDXImages{Count: 3, Rows: 1, Cols: 2, Pixels: []uint8{1, 2, 3, 4, 5, 6}}, Labels: []string{"0", "1", "2"}}
	if s := im.Subset([]int{1}, "p"); s.Len() != 1 || !slices.Equal(s.Images.Pixels, []uint8{3, 4}) {
		t.Errorf("image subset %+v", s.Images)
	}
	if got := e.Classes(); !slices.Equal(got, []string{"x", "y"}) {
		t.Errorf("classes %v", got)
	}
}
