package sweep

import (
	"maps"
	"runtime"
	"slices"
	"strconv"
)

// Settings say how a sweep's points run: the scheduler (NewScheduler) and
// its options. The manifest keeps the last ones.
type Settings struct {
	Scheduler string `json:"name"` // local or slurm
	// Jobs is the points run at once: local, 0 means one per core; Slurm,
	// the job array's %N limit, 0 none.
	Jobs int `json:"jobs,omitempty"`
	// The rest are Slurm's: cores per task (the CPU engine's threads) and
	// what goes to sbatch as it is.
	CPUsPerTask int    `json:"cpus_per_task,omitempty"`
	Partition   string `json:"partition,omitempty"`
	Time        string `json:"time,omitempty"`
	GPUs        string `json:"gpus_per_task,omitempty"`
	Account     string `json:"account,omitempty"`

	given map[string]bool // the flags given on the command line (ParseSettings)
}

// settingFlags are the flags that set Settings, and which scheduler takes
// each ("": both).
var settingFlags = map[string]string{"scheduler": "", "jobs": "", "cpus-per-task": "slurm",
	"partition": "slurm", "time": "slurm", "gpus-per-task": "slurm", "account": "slurm"}

// IsSettingFlag reports whether a flag (long name, without "--") sets
// Settings and takes a value.
func IsSettingFlag(name string) bool { _, ok := settingFlags[name]; return ok }

// ParseSettings reads the sweep's flags that set Settings (by long name:
// scheduler, jobs, cpus-per-task, partition, time, gpus-per-task, account)
// and checks them; those not given take the sweep's last settings
// (Manifest.Resolve). Bad input is a usage error.
func ParseSettings(flags map[string]string) (Settings, error) {
	s := Settings{given: map[string]bool{}}
	strs := map[string]*string{"scheduler": &s.Scheduler, "partition": &s.Partition, "time": &s.Time, "gpus-per-task": &s.GPUs, "account": &s.Account}
	ints := map[string]*int{"jobs": &s.Jobs, "cpus-per-task": &s.CPUsPerTask}
	for _, name := range slices.Sorted(maps.Keys(flags)) {
		value := flags[name]
		s.given[name] = true
		if dst, ok := strs[name]; ok {
			*dst = value
			continue
		}
		dst, ok := ints[name]
		if !ok {
			return s, usagef("sweep: --%s is not a sweep flag", name)
		}
		least := map[bool]int{true: 1}[name == "cpus-per-task"]
		n, err := strconv.Atoi(value)
		if err != nil || n < least {
			return s, usagef("sweep: --%s %s: want a whole number ≥ %d", name, value, least)
		}
		*dst = n
	}
	if _, err := NewScheduler(s, ""); err != nil {
		return s, err
	}
	for _, name := range slices.Sorted(maps.Keys(flags)) {
		if only := settingFlags[name]; only != "" && s.Scheduler != "" && s.Scheduler != only {
			return s, usagef("sweep: --%s is for --scheduler %s", name, only)
		}
	}
	return s, nil
}

// Resolve returns the settings to run the sweep with: s, whose options not
// given on the command line (ParseSettings) are taken from how the sweep
// last ran with the same scheduler, so that a bare
// "grayscott sweep DIR" after a Slurm submission submits again with the
// same partition and limits. An empty s.Scheduler is the last one, or
// local.
func (m *Manifest) Resolve(s Settings) Settings {
	given := func(flag string) bool { return s.given[flag] }
	last := Settings{Scheduler: "local"}
	if m.Settings != nil {
		last = *m.Settings
	}
	if s.Scheduler == "" {
		s.Scheduler = last.Scheduler
	}
	if s.Scheduler == last.Scheduler {
		if !given("jobs") {
			s.Jobs = last.Jobs
		}
		if !given("cpus-per-task") {
			s.CPUsPerTask = last.CPUsPerTask
		}
		for _, f := range []struct {
			flag string
			dst  *string
			from string
		}{{"partition", &s.Partition, last.Partition}, {"time", &s.Time, last.Time},
			{"gpus-per-task", &s.GPUs, last.GPUs}, {"account", &s.Account, last.Account}} {
			if !given(f.flag) {
				*f.dst = f.from
			}
		}
	}
	if s.Scheduler != "slurm" { // the other options are Slurm's
		return Settings{Scheduler: s.Scheduler, Jobs: s.Jobs}
	}
	s.CPUsPerTask, s.given = max(1, s.CPUsPerTask), nil
	return s
}

// AtOnce is how many of n points run at once with s: for local, Jobs
// (0: one per core); for a batch system, the array's limit.
func (s Settings) AtOnce(n int) int {
	jobs := s.Jobs
	if jobs == 0 {
		jobs = n
		if s.Scheduler == "local" {
			jobs = runtime.NumCPU()
		}
	}
	return max(1, min(jobs, n))
}
