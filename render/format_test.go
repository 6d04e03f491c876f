package render

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeFFmpeg puts first on the PATH an ffmpeg that runs script (sh).
func fakeFFmpeg(t *testing.T, script string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ffmpeg"), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestCheckOutput(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "frames.d")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	fakeFFmpeg(t, "exit 0")
	for _, c := range []struct {
		out  string
		want Format
		err  string
	}{
		{filepath.Join(dir, "a.png"), PNG, ""},
		{filepath.Join(dir, "a.PNG"), PNG, ""},
		{filepath.Join(dir, "a.gif"), GIF, ""},
		{filepath.Join(dir, "a.mp4"), MP4, ""},
		{filepath.Join(dir, "new"), Folder, ""},
		{folder, Folder, ""},
		{filepath.Join(dir, "a.txt"), Unknown, "want a folder, NAME.png, NAME.gif or NAME.mp4"},
		{filepath.Join(dir, "missing", "a.gif"), GIF, "folder " + filepath.Join(dir, "missing") + " does not exist"},
	} {
		got, err := CheckOutput(c.out)
		if got != c.want || (err == nil) != (c.err == "") || (err != nil && err.Error() != c.err) {
			t.Errorf("CheckOutput(%s) = %v, %v; want %v, %q", c.out, got, err, c.want, c.err)
		}
		if FormatOf(c.out) != c.want {
			t.Errorf("FormatOf(%s) = %v, want %v", c.out, FormatOf(c.out), c.want)
		}
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := CheckOutput(filepath.Join(dir, "a.mp4")); err == nil || !strings.Contains(err.Error(), "MP4 needs ffmpeg") {
		t.Errorf("an MP4 without ffmpeg: %v", err)
	}
	if _, err := CheckOutput(filepath.Join(dir, "a.gif")); err != nil {
		t.Errorf("a GIF without ffmpeg: %v", err)
	}
}

func TestFormatFrames(t *testing.T) {
	for _, c := range []struct {
		f    Format
		spec string
		want []int
		err  string
	}{
		{PNG, "", []int{4}, ""},
		{PNG, "1", []int{1}, ""},
		{PNG, "0:3", nil, "selects 3 images; a .png output holds one (write to a folder for several)"},
		{PNG, "9", nil, "selects no image of 5"},
		{GIF, "", []int{0, 1, 2, 3, 4}, ""},
		{Folder, "-2:", []int{3, 4}, ""},
		{MP4, "::0", nil, "step 0: must be positive"},
	} {
		got, err := c.f.Frames(c.spec, 5)
		if !slices.Equal(got, c.want) || (err == nil) != (c.err == "") || (err != nil && err.Error() != c.err) {
			t.Errorf("%v.Frames(%q, 5) = %v, %v; want %v, %q", c.f, c.spec, got, err, c.want, c.err)
		}
	}
	if PNG.DefaultFrames() != "-1" || Folder.DefaultFrames() != ":" {
		t.Errorf("default frames %q, %q", PNG.DefaultFrames(), Folder.DefaultFrames())
	}
}

func TestFormatString(t *testing.T) {
	var names []string
	for f := Unknown; f <= MP4+1; f++ {
		names = append(names, f.String())
	}
	if got := strings.Join(names, " "); got != "unknown folder png gif mp4 Format(5)" {
		t.Errorf("names %q", got)
	}
}
