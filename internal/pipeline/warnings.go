package pipeline

import (
	"fmt"
	"slices"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// A vocabulary that leaves most of each text out still trains a model,
// only a poor one, and nothing else would say so: a max_df read as a
// count where a fraction was meant keeps the hapaxes alone. These checks
// turn such a fit into warnings, which train prints and keeps in the
// model's record and vectorize prints.

// maxOOV is the share of the training tokens the vocabulary may leave out
// before it is warned about.
const maxOOV = 0.5

// vocabularyWarning warns when the fitted vocabulary leaves more than
// maxOOV of the training tokens out; "" when it does not, or for numeric
// data, which has no tokens.
func vocabularyWarning(cfg *config.Config, e *data.Examples, cov vectorize.Coverage) string {
	if !e.IsText() || cov.Tokens == 0 || cov.OOVRate() <= maxOOV {
		return ""
	}
	v := cfg.Vectorizer
	return fmt.Sprintf("the vocabulary leaves out %.1f%% of the tokens of the training texts (%s): with vectorizer.max_tokens %d, min_df %s and max_df %s the model sees little of each text; check those keys",
		100*cov.OOVRate(), e.Path, v.MaxTokens, v.MinDF, v.MaxDF)
}

// emptyRowsWarning warns when the median text of a split has no feature:
// most of them share nothing with the vocabulary (another language, or the
// wrong field read as the text). "" otherwise, and for numeric data.
func emptyRowsWarning(cfg *config.Config, split string, e *data.Examples, x *sparse.Matrix) string {
	if x.Rows == 0 {
		return ""
	}
	return noFeaturesWarning(cfg, split, e, medianNNZ(x))
}

// noFeaturesWarning is emptyRowsWarning given the median number of
// features of the split's rows.
func noFeaturesWarning(cfg *config.Config, split string, e *data.Examples, median float64) string {
	if !e.IsText() || median > 0 {
		return ""
	}
	return fmt.Sprintf("the %s texts (%s) have a median of 0 features: most share no n-gram with the vocabulary; check that data.text_field (%s) holds their text, and the vectorizer",
		split, e.Path, cfg.Data.TextField)
}

// medianNNZ is the median number of features of x's rows.
func medianNNZ(x *sparse.Matrix) float64 {
	lens := make([]int, x.Rows)
	for i := range lens {
		lens[i] = x.Indptr[i+1] - x.Indptr[i]
	}
	return median(lens)
}

// median is the median of lens (at least one), which it sorts.
func median(lens []int) float64 {
	n := len(lens)
	slices.Sort(lens)
	return float64(lens[(n-1)/2]+lens[n/2]) / 2
}

// appendWarning appends w to ws unless it is empty.
func appendWarning(ws []string, w string) []string {
	if w == "" {
		return ws
	}
	return append(ws, w)
}
