// Package models carries the default spine model inside the binary: the
// single-compartment dendritic-spine model of Mäki-Marttunen T, Iannella
// N, Edwards AG, Einevoll GT, Blackwell KT (2020), "A unified
// computational model for cortical post-synaptic plasticity", eLife
// 9:e55714, doi:10.7554/eLife.55714, from ModelDB accession 260971
// (NeuroRD files): 204 species, 262 reactions, the initial concentrations
// of IC_singlecompartment.xml and the 0.5 µm³ spine compartment, as data
// only (species, rate constants, concentrations, geometry; regenerated
// from the original files by internal/gen, without their comments). The
// model has no stimulus of its own: package protocol adds one.
package models

import (
	"embed"
	"io/fs"

	"github.com/spinerd/spinerd/diag"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
)

//go:generate go run ./internal/gen -src ../../shared/models/maki-marttunen-2020 -dst mm2020

//go:embed mm2020/*.xml
var mm2020 embed.FS

// Citation is the reference to cite for the embedded model.
const Citation = "Mäki-Marttunen T, Iannella N, Edwards AG, Einevoll GT, Blackwell KT (2020). " +
	"A unified computational model for cortical post-synaptic plasticity. eLife 9:e55714. " +
	"doi:10.7554/eLife.55714. ModelDB 260971."

// SpineModelName is the source name the embedded model reports.
const SpineModelName = "embedded:maki-marttunen-2020/Model.xml"

// FS returns the embedded model files (Model.xml, Reactions.xml,
// Morphology.xml, IC_singlecompartment.xml).
func FS() fs.FS {
	sub, err := fs.Sub(mm2020, "mm2020")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}

// SpineModel loads the embedded Mäki-Marttunen 2020 model: one 0.5 µm³
// compartment, initial concentrations from IC_singlecompartment.xml,
// GRID_ADAPTIVE (spinerd's multiscale method) at ε = 0.01, 12 s at 10 ms outputs, no stimulus.
func SpineModel() (*model.Model, diag.List, error) {
	m, warns, err := neurord.LoadFS(FS(), "Model.xml")
	if m != nil {
		m.Source = SpineModelName
	}
	return m, warns, err
}
