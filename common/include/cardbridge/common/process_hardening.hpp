// Process-wide hardening shared by cardbridged and cardbridge-authority: no core dumps of a process that
// holds PINs, PUKs, SMS codes or keys.
#pragma once

namespace cardbridge {

/// Sets RLIMIT_CORE to 0 (soft and hard, so it cannot be raised again without privilege) and marks the
/// process not dumpable (prctl PR_SET_DUMPABLE 0): no core file, no ptrace attach by other processes of
/// the same user, /proc/<pid> owned by root. Call first thing in main(), before any thread starts.
/// Throws FatalError naming the step that failed.
void disableCoreDumps();

}  // namespace cardbridge
