package serve

import (
	"context"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// settle is how long a model's folder must be quiet after a change before
// the files are looked at: a file written in place (cp) is seen whole, and
// the many events of one rename are one reload.
const settle = 100 * time.Millisecond

// maxSettle is the longest a change waits for its folder to be quiet.
const maxSettle = time.Second

// pollEvery is how often the files are looked at when the folders cannot
// be watched (no inotify left, a file system without events).
const pollEvery = 2 * time.Second

// Watch reloads a model when its file is replaced or changed, until ctx is
// done. It watches the folders of the model files (and of the files their
// symbolic links point to), since a file replaced by a rename — as dlc
// train, mv and Kubernetes' ConfigMap volumes replace it — is a new file
// that a watch on the old one never sees. Every change in such a folder
// makes it compare each model file's identity (inode, size, modification
// time) with the file serving, and load the ones that differ.
func (s *Server) Watch(ctx context.Context) {
	w, err := fsnotify.NewWatcher()
	if err == nil {
		for _, dir := range s.folders() {
			if err = w.Add(dir); err != nil {
				break
			}
		}
	}
	if err != nil {
		if w != nil {
			w.Close()
		}
		s.log.Warn("cannot watch the model folders; looking at the files every "+pollEvery.String()+" instead", "error", err.Error())
		s.poll(ctx)
		return
	}
	defer w.Close()
	// A file replaced between its load and now has sent no event seen.
	s.Reload(true, "file changed")
	quiet := time.NewTimer(settle)
	quiet.Stop()
	var first time.Time // of the changes not yet looked at
	changed := func() {
		now := time.Now()
		if first.IsZero() {
			first = now
		}
		// A folder that is never quiet (a log written beside the model)
		// is looked at once maxSettle has passed all the same.
		quiet.Reset(max(0, min(settle, first.Add(maxSettle).Sub(now))))
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.Events:
			changed()
		case err := <-w.Errors:
			// Most likely an overflow of the event queue: changes may
			// have been missed, so look at every file.
			s.log.Warn("watching the model folders", "error", err.Error())
			changed()
		case <-quiet.C:
			first = time.Time{}
			s.Reload(true, "file changed")
		}
	}
}

// poll looks at the model files every pollEvery until ctx is done.
func (s *Server) poll(ctx context.Context) {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Reload(true, "file changed")
		}
	}
}

// folders returns the folders to watch: each model file's, and that of the
// file a symbolic link at its path points to.
func (s *Server) folders() []string {
	seen := map[string]bool{}
	var dirs []string
	add := func(path string) {
		if dir := filepath.Dir(path); !seen[dir] {
			seen[dir] = true
			dirs = append(dirs, dir)
		}
	}
	for _, name := range s.names {
		path := s.models[name].Path
		add(path)
		if target, err := filepath.EvalSymlinks(path); err == nil {
			add(target)
		}
	}
	return dirs
}
