// Package config is dlc's YAML schema: the keys a training config may hold,
// their defaults, strict decoding with messages that name the key and where
// its value came from, and the precedence flag (--set) > DLC_* environment
// variable > YAML file > default.
package config
