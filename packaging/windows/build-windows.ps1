# Build the 诗笺 Windows bundle and installer (PowerShell, from the repository root):
#
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build-windows.ps1          # CPU
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build-windows.ps1 -Cuda    # CUDA
#
# Needs: Python 3.11+ (python.org), Visual Studio Build Tools with "Desktop development
# with C++" and CMake (llama-cpp-python compiles llama.cpp), Inno Setup 6 (ISCC.exe) for
# the installer; for -Cuda the CUDA Toolkit 12.x, with its bin folder on PATH so
# PyInstaller finds cudart64_12.dll, cublas64_12.dll and cublasLt64_12.dll.
# Results: dist\shijian\ (shijian.exe, shijian-cli.exe) and
# dist\shijian-<version>-windows-x64-<cpu|cuda>-setup.exe. See docs/packaging.md.
param([switch]$Cuda, [string]$Python = "py -3.11")

$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")
$venv = "build\bundle-venv"
$py = "$venv\Scripts\python.exe"

if (-not (Test-Path $py)) { Invoke-Expression "$Python -m venv $venv" }
& $py -m pip install --upgrade pip
$variant = "cpu"
if ($Cuda) {
    $variant = "cuda"
    $spec = (Select-String -Path pyproject.toml -Pattern '"(llama-cpp-python[^"]*)"').Matches[0].Groups[1].Value
    $env:CMAKE_ARGS = "-DGGML_CUDA=on"
    $env:FORCE_CMAKE = "1"
    # --no-cache-dir keeps the CUDA wheel out of pip's cache (it has the CPU wheel's name)
    & $py -m pip install --no-cache-dir --force-reinstall --no-deps $spec
    if ($LASTEXITCODE) { throw "llama-cpp-python (CUDA) failed" }
}
& $py -m pip install ".[build]"
if ($LASTEXITCODE) { throw "pip install failed" }
& $py -m PyInstaller --noconfirm --clean --distpath dist --workpath build\pyinstaller packaging\shijian.spec
if ($LASTEXITCODE) { throw "PyInstaller failed" }

$env:QT_QPA_PLATFORM = "offscreen"
& dist\shijian\shijian-cli.exe --self-test
if ($LASTEXITCODE) { throw "the bundle's self-test failed" }
Remove-Item Env:\QT_QPA_PLATFORM

$version = (Select-String -Path app\__init__.py -Pattern '__version__ = "(.+)"').Matches[0].Groups[1].Value
$iscc = Get-Command ISCC.exe -ErrorAction SilentlyContinue
if (-not $iscc) { $iscc = Get-Item "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" -ErrorAction SilentlyContinue }
if ($iscc) {
    & $iscc "/DAppVersion=$version" "/DVariant=$variant" packaging\windows\shijian.iss
} else {
    Compress-Archive -Force -Path dist\shijian -DestinationPath "dist\shijian-$version-windows-x64-$variant.zip"
    Write-Host "Inno Setup not found: made a zip instead"
}
