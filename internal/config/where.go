package config

// Where says where the value of key came from, as messages name it: the
// config file and line, the DLC_* variable, "--set key", or the file (or
// "default key") when the key was left at its default.
func (c *Config) Where(key string) string { return c.where(key) }
