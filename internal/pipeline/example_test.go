package pipeline_test

import (
	"context"
	"fmt"
	"log"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/pipeline"
)

// Train a sentiment model from Go: a config (here read from YAML, its data
// paths overridden as --set would), its data, one call.
func ExampleTrain() {
	cfg, err := config.Load("../../testdata/tiny/tiny.yaml", []string{
		"data.train=../../testdata/tiny/train.jsonl",
		"data.test=../../testdata/tiny/test.jsonl",
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	d, err := pipeline.Read(ctx, cfg, "")
	if err != nil {
		log.Fatal(err)
	}
	m, res, err := pipeline.Train(ctx, cfg, d, pipeline.Hooks{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("labels %v, %d epochs, test accuracy %.2f\n", m.Labels, len(res.History), res.Test.Report.Accuracy)
	// Output: labels [neg pos], 10 epochs, test accuracy 1.00
}

// Answer texts with a trained model: the predicted label first, then the
// others by score, each with its probability (calibrated on training
// examples held out of a second network: this tiny set is separable, and
// the network's own outputs would say 1.00).
func ExamplePredictor() {
	cfg, err := config.Load("../../testdata/tiny/tiny.yaml", []string{"data.train=../../testdata/tiny/train.jsonl", "data.test="})
	if err != nil {
		log.Fatal(err)
	}
	d, err := pipeline.Read(context.Background(), cfg, "")
	if err != nil {
		log.Fatal(err)
	}
	m, _, err := pipeline.Train(context.Background(), cfg, d, pipeline.Hooks{})
	if err != nil {
		log.Fatal(err)
	}
	p := pipeline.NewPredictor(m, pipeline.PredictOptions{Explain: 1})
	for _, text := range []string{"A wonderful, moving film.", "A boring, tedious plot."} {
		a, err := p.Predict(text)
		if err != nil {
			log.Fatal(err)
		}
		best := a.Order[0]
		fmt.Printf("%s %.2f (%s)\n", m.Labels[best], a.Scores[best], a.Effects[0].Token)
	}
	// Output:
	// pos 0.96 (moving)
	// neg 0.96 (tedious)
}
