// Package neurord reads and writes NeuroRD's file formats: the XML model
// format of NeuroRD 3.2/3.3 (SDRun with xi:include, reaction scheme,
// morphology, initial conditions, stimulation, output scheme and run
// settings), the main text output (O.out) and the mesh text file.
//
// Load resolves includes relative to the including file (nested includes
// and text includes for <rates> tables too), accepts the root with or
// without NeuroRD's namespace and namespace-less included files, and
// reports every problem in one pass, naming file, line, element and value.
// Elements spinerd does not use are warnings (NeuroRD ignores most of them
// too). Reactions keep their position as identity: ids repeat in real
// models.
package neurord
