module github.com/spinerd/spinerd

go 1.26

require (
	github.com/klauspost/compress v1.20.4
	github.com/spf13/pflag v1.1.0
)

require gonum.org/v1/gonum v0.17.0 // indirect
