#!/usr/bin/env bash
# Publishes what a GPU machine without .NET needs, self-contained for linux-x64:
#   publish/gpu-runner/cli/engine-cli          engine-cli (doctor, kernels --compile-all, ...)
#   publish/gpu-runner/tests/StyleAlign.Tests  the NUnit suite (NUnit's own runner; --filter "TestCategory=Cuda")
#   publish/gpu-runner/config/                 the model configs the suite's train-step benchmark builds (docs/configs)
#   publish/gpu-runner/run-gpu-suite.sh        the suite: one log of checks, tests and measurements
#   publish/gpu-runner.tar.gz                  all of it, to copy over
# Trimming is partial (only framework assemblies that declare themselves trimmable), because the CLI finds its
# verbs and NUnit finds its tests by reflection. Each executable is checked to start before the script ends.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=publish/gpu-runner
rm -rf "$out" publish/gpu-runner.tar.gz
common=(-c Release -r linux-x64 --self-contained true -p:PublishTrimmed=true -p:TrimMode=partial
        -p:SuppressTrimAnalysisWarnings=true -p:TreatWarningsAsErrors=false
        -p:JsonSerializerIsReflectionEnabledByDefault=true -p:DebugType=none -p:InvariantGlobalization=true)

dotnet publish cli/StyleAlign.Cli.csproj "${common[@]}" -o "$out/cli"
dotnet publish tests/gpu-runner/StyleAlign.GpuTests.csproj "${common[@]}" -o "$out/tests"
cp tests/gpu-runner/run-gpu-suite.sh "$out/"
mkdir -p "$out/config"
cp docs/configs/*.json "$out/config/"

"$out/cli/engine-cli" doctor > /dev/null
"$out/cli/engine-cli" kernels --compile-all --arch sm_80 --json > /dev/null || echo "note: kernels --compile-all failed here (is libnvrtc installed?)"
"$out/tests/StyleAlign.Tests" --list-tests > /dev/null

tar -C publish -czf publish/gpu-runner.tar.gz gpu-runner
echo "engine-cli:  $(du -sh "$out/cli" | cut -f1)"
echo "test runner: $(du -sh "$out/tests" | cut -f1)"
echo "archive:     $(du -sh publish/gpu-runner.tar.gz | cut -f1)  publish/gpu-runner.tar.gz"
