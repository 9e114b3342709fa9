package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// The build cache is one volume per Go version, shared by every builder of that version and
// kept across restarts. The go command only drops entries unused for five days, so one line
// of Go could add a 48 MiB entry and nothing bounded the total. trimCache holds it to the
// size the host asks for, oldest entries first, and never removes what the warm-up put
// there: the standard library (live and playback) and vet's facts, which every build needs.

// protectedList names the cache files the warm-up produced or used, one path (relative to
// GOCACHE) a line. It lives beside GOCACHE, not in it, so the go command never trims it.
func protectedList() string { return filepath.Join(filepath.Dir(os.Getenv("GOCACHE")), "goplay-protected") }

// trimStamp is touched by the builder that last looked at the cache's size: builders of one
// version share the volume, and one walk a minute between them is enough.
func trimStamp() string { return filepath.Join(filepath.Dir(os.Getenv("GOCACHE")), "goplay-trimmed") }

// walkCache calls fn for every entry file: those in the two-hex-digit folders, not the go
// command's own README, trim.txt and testexpire.txt at the top.
func walkCache(fn func(rel string, info fs.FileInfo)) {
	cache := os.Getenv("GOCACHE")
	dirs, err := os.ReadDir(cache)
	if err != nil {
		return
	}
	for _, dir := range dirs {
		if !dir.IsDir() || len(dir.Name()) != 2 {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(cache, dir.Name()))
		if err != nil {
			continue
		}
		for _, e := range entries {
			if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
				fn(dir.Name()+"/"+e.Name(), info)
			}
		}
	}
}

func readProtected() (map[string]bool, error) {
	data, err := os.ReadFile(protectedList())
	if err != nil {
		return nil, err
	}
	list := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if line != "" {
			list[line] = true
		}
	}
	return list, nil
}

// protect records what a warm-up that began at since produced or used: the files already
// listed that still exist, and every file written since then. A cache warmed before this
// list existed has every file listed once (it cannot tell the warm-up's from the users').
func protect(since time.Time) {
	old, err := readProtected()
	first := err != nil
	var keep []string
	walkCache(func(rel string, info fs.FileInfo) {
		if first || old[rel] || !info.ModTime().Before(since) {
			keep = append(keep, rel)
		}
	})
	sort.Strings(keep)
	temp := protectedList() + ".tmp"
	if os.WriteFile(temp, []byte(strings.Join(keep, "\n")+"\n"), 0o644) == nil {
		os.Rename(temp, protectedList())
	}
}

// trimCache brings the cache down to nine-tenths of limit bytes when it is over, removing
// unlisted entries oldest first (the go command refreshes an entry's time when it uses it,
// at most hourly). A removed entry is a cache miss, never an error, even for a build that
// is reading it: the go command then compiles that package again. Nothing happens before
// the warm-up has listed what it needs, or within a minute of the last look.
func trimCache(limit int64) {
	if limit <= 0 {
		return
	}
	if info, err := os.Stat(trimStamp()); err == nil && time.Since(info.ModTime()) < time.Minute {
		return
	}
	protected, err := readProtected()
	if err != nil {
		return
	}
	os.WriteFile(trimStamp(), nil, 0o644)
	now := time.Now()
	os.Chtimes(trimStamp(), now, now)

	type entry struct {
		path string
		size int64
		mod  time.Time
	}
	var total int64
	var candidates []entry
	cache := os.Getenv("GOCACHE")
	walkCache(func(rel string, info fs.FileInfo) {
		total += info.Size()
		if !protected[rel] {
			candidates = append(candidates, entry{filepath.Join(cache, rel), info.Size(), info.ModTime()})
		}
	})
	if total <= limit {
		return
	}
	sort.Slice(candidates, func(i, j int) bool { return candidates[i].mod.Before(candidates[j].mod) })
	target := limit / 10 * 9
	for _, c := range candidates {
		if total <= target {
			break
		}
		if os.Remove(c.path) == nil {
			total -= c.size
		}
	}
}
