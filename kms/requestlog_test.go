package kms

import (
	"bufio"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLogSampler: every failure is admitted; successes up to successLogRate
// a second; the next second reports how many were turned away.
func TestLogSampler(t *testing.T) {
	var l logSampler
	t0 := time.Unix(1_800_000_000, 0)
	for i := range successLogRate {
		log, skipped := l.admit(t0.Add(time.Duration(i)*time.Millisecond), true)
		require.True(t, log, "success %d", i)
		require.Zero(t, skipped)
	}
	for i := range 7 {
		log, skipped := l.admit(t0.Add(500*time.Millisecond), true)
		require.False(t, log, "success %d over the rate", i)
		require.Zero(t, skipped)
		log, skipped = l.admit(t0.Add(600*time.Millisecond), false)
		require.True(t, log, "a failure is always logged")
		require.Zero(t, skipped)
	}
	log, skipped := l.admit(t0.Add(1500*time.Millisecond), true)
	require.True(t, log, "a new second")
	require.Equal(t, 7, skipped, "the last second's turned away")
	for i := range successLogRate - 1 {
		// Requests that started in the second before: counted in this one.
		log, skipped = l.admit(t0.Add(999*time.Millisecond), true)
		require.True(t, log, "late success %d", i)
		require.Zero(t, skipped)
	}
	log, skipped = l.admit(t0.Add(1600*time.Millisecond), true)
	require.False(t, log, "the second's rate is reached")
	require.Zero(t, skipped)
	log, skipped = l.admit(t0.Add(3*time.Second), false)
	require.True(t, log)
	require.Equal(t, 1, skipped, "the second before's turned away")
	log, skipped = l.admit(t0.Add(3*time.Second), false)
	require.True(t, log)
	require.Zero(t, skipped, "reported once")
}

// TestRequestLog: over HTTP, every failure has its line among many
// successes, which are sampled; each line's ID is the answer's
// X-Request-Id, 32 hex digits, unique.
func TestRequestLog(t *testing.T) {
	k := newTestKMS(t, Options{})
	key := k.createKey(t, "AES_256", "ENCRYPT_DECRYPT", "kms")
	ids := map[string]bool{} // request ID -> a failure
	successes, failures := 0, 0
	for i := range 3*successLogRate + 50 {
		body := js(map[string]any{"key_id": key})
		want := http.StatusOK
		if i%7 == 0 {
			body, want = js(map[string]any{"key_id": "not-a-key-id"}), http.StatusBadRequest
			failures++
		} else {
			successes++
		}
		req, err := http.NewRequest(http.MethodPost, k.url+"/v1.0/"+testProject+"/kms/describe-key", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Auth-Token", testToken)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		id := resp.Header.Get("X-Request-Id")
		require.Regexp(t, `^[0-9a-f]{32}$`, id)
		require.False(t, ids[id], "unique")
		if want != http.StatusOK {
			require.NotEqual(t, http.StatusOK, resp.StatusCode)
			ids[id] = true // a failure: must be logged
		} else {
			require.Equal(t, http.StatusOK, resp.StatusCode)
			ids[id] = false
		}
	}
	var logged, failed, skipped int
	sc := bufio.NewScanner(strings.NewReader(k.logs.String()))
	hex := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for sc.Scan() {
		var line struct {
			Msg    string `json:"msg"`
			ID     string `json:"id"`
			Op     string `json:"op"`
			Status int    `json:"status"`
			Count  int    `json:"count"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line))
		switch {
		case line.Msg == "requests not logged":
			skipped += line.Count
		case line.Msg == "request" && line.Op == "describe-key":
			require.Regexp(t, hex, line.ID)
			failure, ok := ids[line.ID]
			require.True(t, ok, "an ID the server answered with")
			if failure {
				failed++
				delete(ids, line.ID)
			} else {
				logged++
			}
		}
	}
	require.Equal(t, failures, failed, "every failure logged")
	require.GreaterOrEqual(t, logged, successLogRate-1, "a second's worth (create-key took one)")
	require.LessOrEqual(t, logged+skipped, successes)
	t.Logf("%d successes: %d logged, %d reported as not logged (the rest in the last second); %d failures logged", successes, logged, skipped, failed)
}
