package kms

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/kms/huawei"
)

// serveDirEnv makes the test binary a KMS server on that data directory (see
// TestMain): the kill -9 test runs the server in a child process it can kill.
const serveDirEnv = "QTENCLAVE_KMS_TEST_SERVE_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(serveDirEnv); dir != "" {
		os.Exit(serveForTest(dir))
	}
	os.Exit(m.Run())
}

func serveForTest(dir string) int {
	srv, err := NewServer(Options{DataDir: dir, Token: testToken})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("addr %s\n", ln.Addr())
	srv.Serve(context.Background(), ln)
	return 0
}

// startChild starts a server process on dir and returns it and a client.
func startChild(t *testing.T, dir string) (*exec.Cmd, *huawei.Client) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "addr ")
	require.True(t, ok, line)
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	t.Cleanup(tr.CloseIdleConnections)
	return cmd, &huawei.Client{Endpoint: "http://" + addr, ProjectID: testProject, Token: huawei.NewSecret(testToken), HTTPClient: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// TestKillDuringWrites kills the server with SIGKILL while 8 clients create
// and import keys, restarts it on the same directory, and checks that every
// key whose creation was acknowledged is there, in the state acknowledged,
// with material that works.
func TestKillDuringWrites(t *testing.T) {
	dir := t.TempDir()
	cmd, c := startChild(t, dir)
	ctx := context.Background()

	var mu sync.Mutex
	acked := map[string]string{} // key ID -> spec
	imported := map[string]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				spec := []string{"AES_256", "SM4"}[i%2]
				origin := ""
				if w == 0 {
					origin = "external"
				}
				resp, err := c.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: fmt.Sprintf("k%d-%d", w, i), KeySpec: spec, Origin: origin})
				if err != nil {
					return // the server died: this one was not acknowledged
				}
				mu.Lock()
				acked[resp.KeyInfo.KeyID] = spec
				mu.Unlock()
				if origin != "external" {
					continue
				}
				p, err := c.GetParametersForImport(ctx, &huawei.GetParametersForImportRequest{KeyID: resp.KeyInfo.KeyID, WrappingAlgorithm: "RSAES_OAEP_SHA_256"})
				if err != nil {
					return
				}
				req, err := huawei.WrapKeyMaterial(p, make([]byte, map[string]int{"AES_256": 32, "SM4": 16}[spec]))
				if err != nil {
					return
				}
				if c.ImportKeyMaterial(ctx, req) != nil {
					return
				}
				mu.Lock()
				imported[resp.KeyInfo.KeyID] = true
				mu.Unlock()
			}
		}(w)
	}
	// Kill in the middle of the writes, once enough have been acknowledged.
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	cmd.Wait()
	close(stop)
	wg.Wait()
	require.GreaterOrEqual(t, len(acked), 200)

	cmd2, c2 := startChild(t, dir)
	defer func() {
		cmd2.Process.Signal(syscall.SIGKILL)
		cmd2.Wait()
	}()
	for id, spec := range acked {
		d, err := c2.DescribeKey(ctx, &huawei.KeyRequest{KeyID: id})
		require.NoError(t, err, id)
		require.Equal(t, spec, d.KeyInfo.KeySpec)
		if d.KeyInfo.Origin == "external" && !imported[id] {
			continue // its import was not acknowledged: either state is right
		}
		require.Equal(t, "2", d.KeyInfo.KeyState, id)
		_, err = c2.EncryptDatakey(ctx, &huawei.EncryptDatakeyRequest{KeyID: id, PlainText: huawei.NewSecret(dekPlainText(spec, make([]byte, 16))), DatakeyPlainLength: "16"})
		require.NoError(t, err, id)
	}
	l, err := c2.ListKeys(ctx, &huawei.ListKeysRequest{KeySpec: "ALL"})
	require.NoError(t, err)
	require.GreaterOrEqual(t, l.Total, len(acked))
	t.Logf("%d keys acknowledged (%d imported) before SIGKILL; all intact after restart; %d in the store", len(acked), len(imported), l.Total)
}

// lifecycleExpect is what a key's acknowledged lifecycle changes left it
// as.
type lifecycleExpect struct {
	state     string
	alias     string
	tag       string
	scheduled bool
}

// TestKillDuringLifecycle kills the server with SIGKILL while 8 clients
// run every key through its lifecycle (create, create-alias,
// create-kms-tag, disable, schedule deletion, cancel it on every other
// key), restarts it on the same directory, and checks that every
// acknowledged change is there: state, alias, tag and deletion schedule.
// Only the change in flight when the server died may be either way.
func TestKillDuringLifecycle(t *testing.T) {
	dir := t.TempDir()
	cmd, c := startChild(t, dir)
	ctx := context.Background()

	var mu sync.Mutex
	acked := map[string]*lifecycleExpect{}
	uncertain := map[string]bool{} // keys with a change in flight at the kill
	changes := 0
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := c.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "lc", KeySpec: "AES_256"})
				if err != nil {
					return
				}
				id := resp.KeyInfo.KeyID
				exp := &lifecycleExpect{state: "2"}
				mu.Lock()
				acked[id], uncertain[id] = exp, true
				changes++
				mu.Unlock()
				steps := []func() error{
					func() error {
						_, err := c.CreateAlias(ctx, &huawei.CreateAliasRequest{KeyID: id, Alias: fmt.Sprintf("w%d-%d", w, i)})
						if err == nil {
							exp.alias = fmt.Sprintf("w%d-%d", w, i)
						}
						return err
					},
					func() error {
						err := c.CreateKMSTag(ctx, &huawei.CreateKMSTagRequest{KeyID: id, Tag: &huawei.TagItem{Key: "worker", Value: fmt.Sprint(w)}})
						if err == nil {
							exp.tag = fmt.Sprint(w)
						}
						return err
					},
					func() error {
						_, err := c.DisableKey(ctx, &huawei.KeyRequest{KeyID: id})
						if err == nil {
							exp.state = "3"
						}
						return err
					},
					func() error {
						_, err := c.ScheduleKeyDeletion(ctx, &huawei.ScheduleKeyDeletionRequest{KeyID: id, PendingDays: "7"})
						if err == nil {
							exp.state, exp.scheduled = "4", true
						}
						return err
					},
					func() error {
						if i%2 == 0 {
							return nil
						}
						_, err := c.CancelKeyDeletion(ctx, &huawei.KeyRequest{KeyID: id})
						if err == nil {
							exp.state, exp.scheduled = "3", false
						}
						return err
					},
				}
				for _, step := range steps {
					err := step() // exp is this worker's alone until wg.Wait
					mu.Lock()
					if err == nil {
						changes++
					}
					mu.Unlock()
					if err != nil {
						return // the server died: this change was not acknowledged
					}
				}
				mu.Lock()
				delete(uncertain, id)
				mu.Unlock()
			}
		}(w)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := changes
		mu.Unlock()
		if n >= 600 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	cmd.Wait()
	close(stop)
	wg.Wait()
	require.GreaterOrEqual(t, changes, 600)

	cmd2, c2 := startChild(t, dir)
	defer func() {
		cmd2.Process.Signal(syscall.SIGKILL)
		cmd2.Wait()
	}()
	checked := 0
	for id, exp := range acked {
		d, err := c2.DescribeKey(ctx, &huawei.KeyRequest{KeyID: id})
		require.NoError(t, err, id)
		if uncertain[id] {
			continue // a change was in flight: either outcome is right
		}
		checked++
		require.Equal(t, exp.state, d.KeyInfo.KeyState, id)
		require.Equal(t, exp.scheduled, d.KeyInfo.ScheduledDeletionDate != "", id)
		tags, err := c2.ShowKMSTags(ctx, &huawei.KeyTagsRequest{KeyID: id})
		require.NoError(t, err)
		require.Equal(t, []huawei.TagItem{{Key: "worker", Value: exp.tag}}, tags.Tags, id)
		pages, err := c2.ListAliases(ctx, &huawei.ListAliasesRequest{KeyID: id})
		require.NoError(t, err)
		require.Len(t, (*pages)[0].Aliases, 1, id)
		require.Equal(t, exp.alias, (*pages)[0].Aliases[0].Alias, id)
	}
	t.Logf("%d lifecycle changes acknowledged on %d keys before SIGKILL; %d keys checked intact after restart (%d had a change in flight)",
		changes, len(acked), checked, len(uncertain))
}
