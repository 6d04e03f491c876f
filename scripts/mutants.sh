#!/usr/bin/env bash
# Plants known bugs one at a time in a scratch copy of the working tree and
# reports which ones the tests miss ("survived"). Every test should be able
# to fail; a surviving mutant names a test to strengthen.
#   scripts/mutants.sh                  every mutant, each against `make test`
#   scripts/mutants.sh NAME...          only those mutants
#   MUTANT_TEST='go test ./sim' scripts/mutants.sh   another test command
# Exit status: 0 when every mutant was killed, 1 when some survived, 2 when a
# mutant could not be planted (its code moved: update the list below).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
test_cmd=${MUTANT_TEST:-make test}

# name | file | sed expression (must change the file) | what the bug is
mutants=(
  "weights|sim/reference.go|s/{0.25, 0.5, 0.25},/{0.2, 0.5, 0.2},/|diagonal stencil weights 0.25 -> 0.2 in the reference"
  "du-dv|sim/reference.go|s/du := float32(p.DiffU\*lapU)/du := float32(p.DiffV*lapU)/|Du and Dv swapped in the reference (for U)"
  "shader-weights|shaders/react.glsl|s/precise vec2 l = 0.25 \* (nw - x);/precise vec2 l = 0.2 * (nw - x);/|one diagonal weight 0.25 -> 0.2 in the shader"
  "neumann-halo|shaders/field.glsl|s/bool above = r == 0, below = r == rows - 1/bool above = r == 1, below = r == rows - 1/|the GPU's Neumann halo mirrors the wrong row"
  "periodic-reference|sim/reference.go|s/row = (row + rows) % rows/row = (row + rows - 1) % rows/|the reference wraps rows one off"
  "frames-written|storage/h5/file.go|/Value: f.frames}); err != nil {/{s/storage.Attr{Name: \"frames_written\", Value: f.frames}/storage.Attr{Name: \"frames_written\", Value: 0}/}|a flush records frames_written = 0"
  "no-flush|storage/h5/file.go|/^func (f \\*File) Flush/,/^}/s/if err := flush(f.file); err != nil {/if err := error(nil); err != nil {/|Flush skips H5Fflush"
  "no-swmr|storage/h5/file.go|/^func (f \\*File) StartSWMR/,/^}/s/if err := startSWMR(f.file, f.path); err != nil {/if err := error(nil); err != nil {/|the writer never switches to SWMR (readers are locked out)"
  "pool-ignores-workers|storage/writer.go|s/return o.BufferLen + max(1, o.Workers)/return o.BufferLen + 1/|the pool ignores the compression workers"
  "one-worker|storage/writer.go|s/n := w.opts.Workers/n := 1/|chunks are encoded on one worker only"
  "gpu-readback-order|gpu/readback.go|s/return \&r.slots\[(r.head-r.pending+len(r.slots))%len(r.slots)\]/return \&r.slots[(r.head-1+len(r.slots))%len(r.slots)]/|the GPU completes the newest readback, not the oldest"
  "cpu-readback-order|cpu/source.go|s/sl := \&s.slots\[(s.head-s.pending+len(s.slots))%len(s.slots)\]/sl := \&s.slots[(s.head-1+len(s.slots))%len(s.slots)]/|the CPU engine completes the newest readback, not the oldest"
  "no-checkpoint|storage/writer.go|s/if err := w.sink.WriteCheckpoint(it.u, it.frame, it.step); err != nil {/if err := error(nil); err != nil {/|images never carry their checkpoint"
  "pool-too-big|storage/writer.go|s/return o.BufferLen + max(1, o.Workers)/return o.BufferLen + max(1, o.Workers) + 2/|the pool holds more frames than the bound"
  "resume-ignores-rates|pipeline/pipeline.go|s/if err := pl.SetRates(ck.Feed, ck.Kill); err != nil {/if err := error(nil); err != nil {/|a resumed run forgets the rates in force at its checkpoint"
  "records-dropped|storage/writer.go|s/return w.send(item\[S\]{do: f})/return nil/|window changes (records run by Writer.Do) never reach the file"
  "inherited-files|storage/h5/reader.go|s/noInherit(hf.ID())/_ = hf/|a child process inherits a reader's file and its lock"
  "cancel-not-failed|sweep/slurm.go|s/o := PointOptions{CancelFails: true}/o := PointOptions{CancelFails: false}/|a cancelled Slurm task shows as interrupted, not failed"
  "codec-header-endian|storage/codec/bitshuffle.go|s/binary.BigEndian.PutUint64(e.chunk, /binary.LittleEndian.PutUint64(e.chunk, /|the bitshuffle chunk's size is written little-endian"
  "codec-block-size|storage/codec/bitshuffle.go|s/blockElems  = 8192 \/ elemSize/blockElems  = 4096 \/ elemSize/|bitshuffle blocks of 4096 bytes, not the plugin's default 8192"
  "codec-block-size-in-elements|storage/codec/bitshuffle.go|s/binary.BigEndian.PutUint32(e.chunk\[8:\], BlockSize)/binary.BigEndian.PutUint32(e.chunk[8:], blockElems)/|the chunk header gives the block size in elements, not bytes"
  "codec-leftover-off-by-one|storage/codec/bitshuffle.go|s/tail := frame\[e.cells-leftover:\]/tail := frame[e.cells-leftover-1 : e.cells-1]/|the raw leftover elements are taken one element early"
  "codec-scalar-last-group|storage/codec/bshuf.c|s/for (size_t q = q0; q < row; q++) {/for (size_t q = q0; q + 1 < row; q++) {/|the plain C bit transposes skip a block's last 8 elements"
  "codec-avx2-bit-order|storage/codec/bshuf.c|s/memcpy(out + (8 \* j + k) \* row, \&bits, 4);/memcpy(out + (8 * j + 7 - k) * row, \&bits, 4);/|the AVX2 transpose stores a byte's bit rows in reverse order"
  "codec-round-half-up|storage/codec/bshuf.c|s/return (mag + ((1u << (drop - 1)) - 1) + ((mag >> drop) \& 1))/return (mag + (1u << (drop - 1)))/|ties round up in the plain C rounding, not to even"
  "codec-avx2-round-half-up|storage/codec/bshuf.c|s/_mm256_and_si256(_mm256_srl_epi32(mag, shift), one)/one/|ties round up in the AVX2 rounding, not to even"
  "codec-subnormal-fixed|storage/codec/bshuf.c|s/int after = 31 - __builtin_clz(mag);/int after = MANTISSA;/|subnormals rounded at the normal numbers' bit position (numcodecs' way): the relative bound breaks"
  "codec-avx2-to-inf|storage/codec/bshuf.c|s/r = _mm256_min_epu32(_mm256_and_si256(r, kept), largest);/r = _mm256_and_si256(r, kept);/|the AVX2 rounding lets the largest finite values round up to Inf"
  "plugins-left-on|storage/h5/h5p.go|s/^func init() { C.gs_plugins_off() }$/func init() {}/|HDF5 may load a host's bitshuffle plugin into grayscott, whose set_local rewrites /matrix's client values"
  "cd-values-unchecked|storage/h5/h5d.go|s/\(..\) !slices.Equal(got, codec.BitshuffleCDValues\[:\]) {/\1 false \&\& !slices.Equal(got, codec.BitshuffleCDValues[:]) {/|createMatrix no longer checks the client values a registered plugin rewrote"
  "checkpoint-v-not-kept|storage/h5/checkpoint.go|s/if !f.comp.Lossless() {/if false {/|a file with --keep-bits keeps no exact V beside U in its checkpoints"
  "bitshuffle-workers-unrounded|storage/h5/file.go|s/e, err := codec.NewEncoder(f.rows\*f.cols, f.comp.KeepBits)/e, err := codec.NewEncoder(f.rows*f.cols, storage.LosslessBits)/|--keep-bits is ignored by the bitshuffle encoders of the compression workers"
  "bitshuffle-writer-unrounded|storage/h5/file.go|s/enc, err := codec.NewEncoder(p.Rows\*p.Cols, comp.KeepBits)/enc, err := codec.NewEncoder(p.Rows*p.Cols, storage.LosslessBits)/|--keep-bits is ignored by bitshuffle on the writer's thread (--compress-workers 0, synchronous runs)"
  "deflate-workers-unrounded|storage/h5/file.go|s/return newEncoder(f.comp.Level, f.comp.KeepBits, f.rows\*f.cols)/return newEncoder(f.comp.Level, storage.LosslessBits, f.rows*f.cols)/|--keep-bits is ignored by the deflate encoders of the compression workers"
  "deflate-writer-unrounded|storage/h5/file.go|s/codec.RoundMantissa(f.rounded, frame, f.comp.KeepBits)/copy(f.rounded, frame)/|--keep-bits is ignored by deflate in HDF5's own filter (the writer's thread)"
  "damaged-chunk-silent|storage/h5/images.go|s/return fmt.Errorf(\"h5: image %d is damaged: %w\", n, err)/return nil/|a bitshuffle chunk that does not decode reads as whatever was decoded, no error"
  "bitshuffle-through-hdf5|storage/h5/images.go|s/if !im.bitshuffle {/if true {/|readers leave bitshuffle chunks to HDF5's filters, which have no plugin in grayscott"
  "filter-mask-ignored|storage/h5/h5d.go|s/return buf\[:size\], mask\&1 == 0, nil/return buf[:size], true, nil/|a chunk stored unfiltered (by a writer without the plugin) is decoded as bitshuffle"
  "keep-bits-not-compared|pipeline/pipeline.go|s/if (given == nil .. given(\"keep-bits\")) \&\& want.KeepBits != comp.KeepBits {/if false \&\& want.KeepBits != comp.KeepBits {/|--resume ignores a --keep-bits other than the file's instead of refusing it"
  "keep-bits-without-codec|internal/runflags/runflags.go|s/\(\&\& (f.Resume == \"\" .. codecGiven)\) {/\1 \&\& false {/|--keep-bits without a codec is accepted by the flag parser"
  "guardian-disabled|storage/h5/guard/guard.go|s/^\treturn status(recoverFile(path, 2\*time.Second))$/\treturn 0/|a killed run's guardian never clears its file's mark"
  "guardian-in-run-session|storage/h5/guard/guard.go|s/Setsid: true/Setsid: false/|the guardian stays in its run's session and process group (a kill of the group takes it too)"
  "guardian-keeps-inherited|storage/h5/guard/guard.go|s/^\tcloseInherited()$/\t_ = closeInherited/|the guardian keeps descriptors its run's parent leaked (a pipe someone waits on)"
  "guardian-lingers|storage/h5/guard/guard.go|s/if n == 1 \&\& msg\[0\] == msgClean {/if n == 1 \&\& msg[0] == msgClean { waitExit(writer)/|after a clean end the guardian stays until its run's process exits"
  "writer-unlocked|storage/h5/lock.go|s/fd := int(C.gs_file_fd(C.hid_t(file)))/fd := -1/|a writer takes no lock of its own: a run in SWMR mode looks abandoned"
  "recover-ignores-flock|storage/h5/lock.go|s/unix.Flock(int(f.Fd()), unix.LOCK_SH/unix.Flock(int(f.Fd()), unix.LOCK_UN/|Recover clears the mark of a file another HDF5 program writes outside SWMR"
  "recover-ignores-locks|storage/h5/recover.go|s/lk, err := lockForRepair(path)/lk, err := os.Open(path)/|Recover clears the mark of a file a run is writing"
  "mark-never-seen|storage/h5/recover.go|s/return version >= 3 \&\& flags/return version > 9 \&\& flags/|WriterMark never sees a writer's mark"
  "resume-unchecked|storage/h5/checkpoint.go|s/if err := checkNoWriter(path); err != nil {/if err := error(nil); err != nil {/|--resume opens a file a run is writing (and clears its mark)"
  "no-recover-hint|cmd/grayscott/main.go|s/if a, err := h5.Abandoned(path); err == nil \&\& a {/if a, err := h5.Abandoned(path); err == nil \&\& a \&\& false {/|info, render and xdmf do not say to run grayscott recover"
  "gone-task-running|sweep/state.go|s/case mk.Job != \"\" && o.QueueKnown:/case mk.Job != \"\" \&\& false:/|a task gone from the queue without a word still shows as running"
  "dead-pid-running|sweep/state.go|s/case !o.Here .. o.Alive:/case true:/|a stale marker of a dead local process shows as running"
  "interrupted-over|sweep/state.go|/^func (o Observation) Start/,/^}/s/return StartResume/return StartOver/|an interrupted point starts over instead of resuming"
  "progress-every-poll|sweep/sweep.go|/^func (sw \*Sweep) wait/,/^}/s/last = p$/last = Progress{}/|--wait repeats its progress line at every poll"
  "misspelt-as-point|sweep/sweep.go|s/perr.Error() == cerr.Error()/perr.Error() == \"\"/|a misspelt common flag is reported as point 0's"
  "slurm-output-pattern|sweep/slurm.go|s#\"--output=/dev/null\"#\"--output=\" + dir + \"/logs/slurm-%A_%a.out\"#|sbatch writes the task logs through its file-name pattern (% in a folder's name)"
  "sweep-exit-1|cmd/grayscott/sweep.go|s/return sweepStopped{err, sig}/return err/|a sweep stopped by a signal exits 1, not 128 + the signal"
)
names=" "
for m in "${mutants[@]}"; do names+="${m%%|*} "; done

want=("$@")
for w in "${want[@]}"; do
  [[ "$names" == *" $w "* ]] || { echo "mutants: no mutant named $w (there are:$names)" >&2; exit 2; }
done
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
survived=() killed=() broken=()
for m in "${mutants[@]}"; do
  IFS='|' read -r name file expr why <<<"$m"
  if [ ${#want[@]} -gt 0 ] && [[ ! " ${want[*]} " == *" $name "* ]]; then
    continue
  fi
  rm -rf "$scratch/tree" && mkdir "$scratch/tree"
  (cd "$root" && tar --exclude=./.git --exclude=./bundle --exclude=./bin -cf - .) | tar -C "$scratch/tree" -xf -
  cp "$scratch/tree/$file" "$scratch/orig"
  sed -i -e "$expr" "$scratch/tree/$file"
  if cmp -s "$scratch/orig" "$scratch/tree/$file"; then
    echo "mutant $name: NOT PLANTED ($file no longer has the code it changes)"
    broken+=("$name")
    continue
  fi
  start=$SECONDS
  if (cd "$scratch/tree" && eval "$test_cmd") >"$scratch/$name.log" 2>&1; then
    echo "mutant $name: SURVIVED ($why) after $((SECONDS - start)) s"
    survived+=("$name")
  else
    # The failing tests (top level), or the build that failed.
    by=$(grep -o -E -- '--- FAIL: [A-Za-z0-9_]+' "$scratch/$name.log" | sed 's/--- FAIL: //' | sort -u | paste -sd, -)
    echo "mutant $name: killed by ${by:-a failing build or vet} ($why) after $((SECONDS - start)) s"
    killed+=("$name")
  fi
done
echo "killed ${#killed[@]}, survived ${#survived[@]}${survived:+ (${survived[*]})}, not planted ${#broken[@]}"
[ ${#broken[@]} -eq 0 ] || exit 2
[ ${#survived[@]} -eq 0 ]
