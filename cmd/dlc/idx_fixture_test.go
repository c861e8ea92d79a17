package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"
)

// mkidx is the testscript command "mkidx NAME COUNT SEED [SIDE]": it
// writes NAME-images-idx3-ubyte.gz and NAME-labels-idx1-ubyte.gz, COUNT
// synthetic SIDE×SIDE (default 8×8) "digits" of three kinds, drawn from SEED: 0 a horizontal stroke, 1 a
// vertical stroke, 2 a diagonal, each at a random place with a little
// noise, so that a small network learns them all.
func mkidx(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 || len(args) > 4 {
		ts.Fatalf("usage: mkidx NAME COUNT SEED [SIDE]")
	}
	count, err1 := strconv.Atoi(args[1])
	seed, err2 := strconv.ParseUint(args[2], 10, 64)
	side, err3 := 8, error(nil)
	if len(args) == 4 {
		side, err3 = strconv.Atoi(args[3])
	}
	if err1 != nil || err2 != nil || err3 != nil || count < 1 || side < 3 {
		ts.Fatalf("mkidx: COUNT, SEED and SIDE must be numbers, SIDE at least 3")
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	pixels := make([]byte, count*side*side)
	labels := make([]byte, count)
	for i := range count {
		img := pixels[i*side*side : (i+1)*side*side]
		kind := rng.IntN(3)
		labels[i] = byte(kind)
		at := 1 + rng.IntN(side-2)
		for k := range side {
			switch kind {
			case 0:
				img[at*side+k] = byte(200 + rng.IntN(56))
			case 1:
				img[k*side+at] = byte(200 + rng.IntN(56))
			case 2:
				img[k*side+k] = byte(200 + rng.IntN(56))
			}
		}
		for range 3 {
			img[rng.IntN(side*side)] = byte(rng.IntN(120))
		}
	}
	write := func(name string, dims []uint32, body []byte) {
		var raw bytes.Buffer
		raw.Write([]byte{0, 0, 0x08, byte(len(dims))})
		for _, d := range dims {
			binary.Write(&raw, binary.BigEndian, d)
		}
		raw.Write(body)
		var gz bytes.Buffer
		z := gzip.NewWriter(&gz)
		z.Write(raw.Bytes())
		z.Close()
		if err := os.WriteFile(ts.MkAbs(name), gz.Bytes(), 0o644); err != nil {
			ts.Fatalf("mkidx: %v", err)
		}
	}
	write(args[0]+"-images-idx3-ubyte.gz", []uint32{uint32(count), uint32(side), uint32(side)}, pixels)
	write(args[0]+"-labels-idx1-ubyte.gz", []uint32{uint32(count)}, labels)
}
