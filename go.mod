module grayscott

go 1.26

require (
	github.com/go-gl/gl v0.0.0-20231021071112-07e5d0ea2e71
	github.com/spf13/pflag v1.0.10
	gonum.org/v1/hdf5 v0.0.0-20210714002203-8c5d23bc6946
)
