package dirlock

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestSecondHolderRefused: while one lock is held (here by a child
// process holding it through flock), Acquire fails naming the holder;
// after release it succeeds.
func TestSecondHolderRefused(t *testing.T) {
	dir := t.TempDir()
	if os.Getenv("DIRLOCK_CHILD") != "" {
		l, err := Acquire(os.Getenv("DIRLOCK_CHILD"))
		if err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("locked\n")
		time.Sleep(5 * time.Second)
		l.Release()
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run", "TestSecondHolderRefused")
	cmd.Env = append(os.Environ(), "DIRLOCK_CHILD="+dir)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := out.Read(buf); err != nil || string(buf) != "locked\n" {
		t.Fatalf("child did not lock: %q %v", buf, err)
	}
	_, err := Acquire(dir)
	var held *HeldError
	if !errors.As(err, &held) || !strings.Contains(held.Holder, "pid ") || !strings.Contains(err.Error(), dir) {
		t.Errorf("second Acquire: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatalf("after the holder died: %v", err)
	}
	l.Release()
}
