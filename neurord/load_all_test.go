package neurord

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/model"
)

// modelFiles lists every model file under root (testdata, or ../shared
// with -tags long): the models folder, the per-seed inputs of the NeuroRD
// 3.3 runs, and the JCP 2016 models with the serialized configurations
// NeuroRD embedded in its HDF5 outputs. It fails when it finds fewer than
// min.
func modelFiles(t testing.TB, root string, min int) []string {
	var files []string
	for _, pat := range []string{
		"models/*/Model_*.xml",
		"reference/neurord-3.3/*/inputs/Model_*.xml",
		"reference/neurord-3.3/*/inputs/model_*.xml",
		"reference/jcp2016/*/model*.xml",
		"reference/jcp2016/*/Model_*.xml",
	} {
		m, _ := filepath.Glob(filepath.Join(root, pat))
		files = append(files, m...)
	}
	if len(files) < min {
		t.Fatalf("found only %d model files under %s", len(files), root)
	}
	return files
}

// TestLoadAllModels loads and compiles every model in testdata (all of
// NeuroRD's examples, the Mäki-Marttunen models the tests run, one input
// of every reference set, one run and its serialized configuration of
// every JCP 2016 example). The only failures allowed are the deliberately
// broken Mäki-Marttunen template (its stimulus names the undefined species
// CaB) and the one example that uses NeuroRD's experimental Curved
// elements. With -tags long, TestLoadAllSharedModels does the same for
// every model under ../shared.
func TestLoadAllModels(t *testing.T) {
	root := testenv.Testdata(t)
	checkLoadAll(t, root, modelFiles(t, root, 30), 5)
}

// checkLoadAll loads and compiles files (under root) and checks that at
// least minSerialized of them were serialized configurations.
func checkLoadAll(t *testing.T, root string, files []string, minSerialized int) {
	serialized, template, curved := 0, 0, 0
	for _, f := range files {
		if strings.HasSuffix(f, ".serialized_config.xml") {
			serialized++
		}
		name := strings.TrimPrefix(f, root+"/")
		t.Run(name, func(t *testing.T) {
			m, _, err := Load(f)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			_, _, err = model.Compile(m, model.Options{})
			switch filepath.Base(f) {
			case "Model_template.xml":
				template++
				if err == nil || !strings.Contains(err.Error(), `"CaB"`) {
					t.Fatalf("template compiled without naming CaB: %v", err)
				}
			case "Model_2spinetypes3D.xml":
				curved++
				if err == nil || !strings.Contains(err.Error(), "Curved") {
					t.Fatalf("Curved elements accepted: %v", err)
				}
			default:
				if err != nil {
					t.Fatalf("compile: %v", err)
				}
			}
		})
	}
	if serialized < minSerialized {
		t.Errorf("only %d serialized configs checked", serialized)
	}
	if template == 0 || curved == 0 {
		t.Errorf("the failing models were not checked (template %d, Curved %d)", template, curved)
	}
}
