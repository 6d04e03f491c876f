// Package render turns the images of a grayscott file into pictures: it
// paints a field through a colormap, writes the frames to a PNG, a folder
// of PNGs, an animated GIF or an MP4 video, and follows a file a run is
// still writing.
//
// # Overview
//
// A [Renderer] holds the settings (colormap, scale, value range, frames
// per second); [Renderer.Render] reads the selected images of an [Images]
// (an [*h5.Reader] is one) and writes them through a [FrameWriter].
// [File] is the convenience on top: a whole file, with the defaults.
// The pieces are exported for other viewers: [Paint] colours one field,
// [ParseRange] and [ParseFrames] read the command line's --range and
// --frames, [CheckOutput] and [Format.Frames] check an output and its
// selection, [WritePNG] saves any image (the preview window's screenshots).
//
// Errors carry the prefix "render: ", except those of the checks of a
// value (ParseRange, ParseFrames, CheckOutput, Format.Frames): they
// describe the value alone, for a command to put after its flag's name.
//
// # Outputs
//
// The output's name picks the backend behind [FrameWriter], the way
// gonum/plot's vg/draw.NewFormattedCanvas picks one by format
// ([FormatOf]): NAME.png holds one image, NAME.gif an animation with the
// colormap as its palette (no dithering; streamed, so any length fits in
// memory), NAME.mp4 a video encoded by ffmpeg; a name without an
// extension, or an existing folder, is a folder of DIR/image_00000.png …,
// numbered by the index of the image in the file.
//
// # Following a running file
//
// [Follower.Follow] redraws one PNG with the newest image of a file while
// a run writes it (grayscott files are written in SWMR mode, so readers
// see the images a run has published), and returns when the file's
// status ([h5.Status.Ended]) says the run completed or stopped. It
// decodes the file's state only through [h5.Status].
//
// # Goroutines
//
// Everything here runs on the caller's goroutine; the package starts none
// of its own (os/exec copies ffmpeg's messages on one of its own). A
// Renderer or a Follower holds only settings: several goroutines may use
// one at once as long as none changes it. A [FrameWriter], like the
// [*h5.Reader] that Render reads, is not safe for concurrent use: give
// each goroutine its own.
package render
