// Package config is dlc's YAML schema: the keys a training config may hold,
// their defaults, strict decoding with messages that name the key and where
// its value came from, and the precedence flag (--set) > DLC_* environment
// variable > YAML file > default. A relative path in a config file is
// relative to the file's folder; model.output and loss left out are chosen
// from the data (head.go).
package config
