// Package pipeline is dlc's Go API: the one facade that the commands (and
// any other Go program) call to read a config's data, build and train a
// model, score it, and predict with it.
//
// A run goes through it in four steps:
//
//	cfg, _ := config.Load("imdb.yaml", nil)          // the YAML config, validated
//	d, _ := pipeline.Read(ctx, cfg, dataDir)         // its training, validation and test examples
//	m, res, _ := pipeline.Train(ctx, cfg, d, hooks)  // fit the vectorizer, train the network
//	p := pipeline.NewPredictor(m, pipeline.PredictOptions{})
//
// Build is the one place a config becomes components: the vectorizer's
// options, the network's shape, the update rule and the training loop's
// settings. Train chooses the output and loss a config left out for the
// data's labels (ForData says which), warns when the fitted vocabulary
// leaves most of the text out, and records the absolute paths of the data;
// Continue trains a model's weights further; Data.ReadRest reads the
// validation and test texts Read leaves for a fitted vectorizer (Train
// scores such a test split batch by batch at the end). ReadWith reads data for a
// trained model under other field names, Top says what a bag-of-words
// classifier learned per label. Everything here returns plain errors: the command line maps
// them to exit codes, a server to HTTP statuses.
package pipeline
