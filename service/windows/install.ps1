<#
.SYNOPSIS
  安装 cardbridge（cardbridged 服务、本地根证书信任、Firefox 企业根证书策略）。
  Installs cardbridge: the cardbridged service, trust in the local root, Firefox's enterprise-roots policy.

.DESCRIPTION
  Run from an elevated PowerShell in the unpacked release folder (bin\cardbridged.exe and
  share\cardbridge\webui next to this script, or pass -SourceDir). Idempotent: running it again updates
  the files and the service and leaves the trust as it should be. docs/windows.md explains every step.

  -Scope User (default): a per-user service (Windows 10 1607+): every user who signs in gets their own
    cardbridged, running as that user, state in %LOCALAPPDATA%\cardbridge. The first instance appears at
    the next sign-in.
  -Scope Machine: one service as LocalSystem for the console user, state in %ProgramData%\cardbridge
    (for Windows Server without Desktop Experience, or where per-user services are disabled by policy).

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File .\install.ps1
#>
[CmdletBinding()]
param(
    [ValidateSet('User', 'Machine')] [string] $Scope = 'User',
    [string] $SourceDir = $PSScriptRoot,
    [string] $InstallDir = (Join-Path $env:ProgramFiles 'cardbridge'),
    [switch] $NoFirefox
)

Set-StrictMode -Version 3
$ErrorActionPreference = 'Stop'

$ServiceName = 'cardbridged'
$RootPrefix = 'CN=cardbridge local root'
$RecordKey = 'HKLM:\SOFTWARE\cardbridge'
$RecordValue = 'FirefoxPolicyCreated'
$PolicyKeys = @(  # deepest first, with the bit recording that we created it (as trust_windows.cpp)
    @{ Path = 'HKLM:\SOFTWARE\Policies\Mozilla\Firefox\Certificates'; Bit = 2 },
    @{ Path = 'HKLM:\SOFTWARE\Policies\Mozilla\Firefox'; Bit = 4 },
    @{ Path = 'HKLM:\SOFTWARE\Policies\Mozilla'; Bit = 8 }
)

function Say([string] $zh, [string] $en) { Write-Host "$zh  $en" }
function Fail([string] $zh, [string] $en) {
    Write-Host "错误：$zh  Error: $en" -ForegroundColor Red
    exit 1
}

# ---- checks -----------------------------------------------------------------------------------------
$identity = [Security.Principal.WindowsIdentity]::GetCurrent()
if (-not (New-Object Security.Principal.WindowsPrincipal($identity)).IsInRole(
        [Security.Principal.WindowsBuiltInRole]::Administrator)) {
    Fail '需要管理员权限：请右键“以管理员身份运行” PowerShell 后重试。' `
        'administrator rights needed: run PowerShell as administrator and try again.'
}
if ($Scope -eq 'User' -and [Environment]::OSVersion.Version.Build -lt 14393) {
    Fail '按用户服务需要 Windows 10 1607 或更新版本；请改用 -Scope Machine。' `
        'per-user services need Windows 10 1607 or later; use -Scope Machine.'
}
$exe = Join-Path $SourceDir 'bin\cardbridged.exe'
$webui = Join-Path $SourceDir 'share\cardbridge\webui'
if (-not (Test-Path $exe) -or -not (Test-Path $webui)) {
    Fail "在 $SourceDir 找不到 bin\cardbridged.exe 或 share\cardbridge\webui。" `
        "bin\cardbridged.exe or share\cardbridge\webui not found in $SourceDir (pass -SourceDir)."
}

# ---- files ------------------------------------------------------------------------------------------
# Stop a running daemon first: Windows will not replace a running .exe.
Get-Service -Name "$ServiceName*" -ErrorAction SilentlyContinue | Where-Object Status -ne 'Stopped' |
    ForEach-Object { Stop-Service -Name $_.Name -Force -ErrorAction SilentlyContinue }
New-Item -ItemType Directory -Force -Path (Join-Path $InstallDir 'bin'), (Join-Path $InstallDir 'share\cardbridge') |
    Out-Null
Copy-Item -Force $exe (Join-Path $InstallDir 'bin\cardbridged.exe')
Get-ChildItem (Join-Path $SourceDir 'bin') -Filter '*.dll' -ErrorAction SilentlyContinue |
    Copy-Item -Force -Destination (Join-Path $InstallDir 'bin')
$targetWebui = Join-Path $InstallDir 'share\cardbridge\webui'
if (Test-Path $targetWebui) { Remove-Item -Recurse -Force $targetWebui }
Copy-Item -Recurse -Force $webui $targetWebui
$installedExe = Join-Path $InstallDir 'bin\cardbridged.exe'
Say "已安装到 $InstallDir" "installed into $InstallDir"

# ---- state folder and the local root ----------------------------------------------------------------
if ($Scope -eq 'Machine') {
    $stateDir = Join-Path $env:ProgramData 'cardbridge\state'
    New-Item -ItemType Directory -Force -Path $stateDir | Out-Null
    # ProgramData lets every user read new folders; the state holds the TLS key: SYSTEM and
    # Administrators only, nothing inherited.
    & icacls.exe (Join-Path $env:ProgramData 'cardbridge') /inheritance:r /grant:r 'SYSTEM:(OI)(CI)F' `
        'Administrators:(OI)(CI)F' | Out-Null
    if ($LASTEXITCODE -ne 0) { Fail '无法设置状态目录权限。' 'could not restrict the state folder.' }
} else {
    # The per-user daemon keeps its state in the user's LocalAppData (readable by that user only).
    $stateDir = Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'cardbridge'
}
& $installedExe certs init --state-dir $stateDir | Out-Null
if ($LASTEXITCODE -ne 0) { Fail '无法生成本地证书。' 'could not create the local TLS certificate.' }
$rootPem = Join-Path $stateDir 'local-root.pem'

# ---- trust: LocalMachine ROOT (Edge, Chrome, every CryptoAPI program; Firefox through the policy) ----
$root = New-Object Security.Cryptography.X509Certificates.X509Certificate2 -ArgumentList $rootPem
Get-ChildItem Cert:\LocalMachine\Root | Where-Object {
    $_.Subject -like "$RootPrefix*" -and $_.Thumbprint -ne $root.Thumbprint
} | ForEach-Object {
    Remove-Item -Path "Cert:\LocalMachine\Root\$($_.Thumbprint)"
    Say "已移除旧的本地根证书 $($_.Thumbprint)" "removed an older local root $($_.Thumbprint)"
}
if (Test-Path "Cert:\LocalMachine\Root\$($root.Thumbprint)") {
    Say '本地根证书已受信任。' 'the local root is already trusted.'
} else {
    Import-Certificate -FilePath $rootPem -CertStoreLocation Cert:\LocalMachine\Root | Out-Null
    Say "已信任本地根证书 $($root.Thumbprint)" "trusted the local root $($root.Thumbprint)"
}

# ---- Firefox: ImportEnterpriseRoots, only when nobody set it ----------------------------------------
if (-not $NoFirefox) {
    $policyKey = $PolicyKeys[0].Path
    $current = Get-ItemProperty -Path $policyKey -Name ImportEnterpriseRoots -ErrorAction SilentlyContinue
    if ($null -ne $current) {
        if ($current.ImportEnterpriseRoots -eq 1) {
            Say 'Firefox 已设置导入系统根证书。' 'Firefox already imports the Windows roots.'
        } else {
            Say 'Firefox 的 ImportEnterpriseRoots 被管理员关闭，未更改；Firefox 将不信任本地证书。' `
                "Firefox's ImportEnterpriseRoots was turned off by an administrator: left alone (Firefox will not trust the local root)."
        }
    } else {
        $record = 0
        $old = Get-ItemProperty -Path $RecordKey -Name $RecordValue -ErrorAction SilentlyContinue
        if ($null -ne $old) { $record = [int]$old.$RecordValue }
        foreach ($k in $PolicyKeys) { if (-not (Test-Path $k.Path)) { $record = $record -bor $k.Bit } }
        New-Item -Force -Path $RecordKey | Out-Null
        # Record first, then the value (a crash leaves a record without a value, never the reverse).
        New-ItemProperty -Force -Path $RecordKey -Name $RecordValue -PropertyType DWord -Value ($record -bor 1) | Out-Null
        New-Item -Force -Path $policyKey | Out-Null
        New-ItemProperty -Force -Path $policyKey -Name ImportEnterpriseRoots -PropertyType DWord -Value 1 | Out-Null
        Say '已让 Firefox 导入系统根证书（重启 Firefox 后生效）。' `
            'Firefox now imports the Windows roots (takes effect when Firefox restarts).'
    }
}

# ---- the service ------------------------------------------------------------------------------------
# sc.exe gets one command line written here: Windows PowerShell 5.1 does not escape the quotes inside
# an argument (binPath= needs the quoted path of a folder with a space), Start-Process passes it as is.
function Invoke-Sc([string] $arguments) {
    $p = Start-Process -FilePath sc.exe -ArgumentList $arguments -Wait -PassThru -NoNewWindow
    return $p.ExitCode
}
$binPath = "\`"$installedExe\`" service run"
$existing = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
# userown: SERVICE_USER_OWN_PROCESS, the template of a per-user service; own: one LocalSystem service.
$type = if ($Scope -eq 'User') { 'userown' } else { 'own' }
$verb = if ($null -eq $existing) { 'create' } else { 'config' }
$rc = Invoke-Sc "$verb $ServiceName type= $type start= auto binPath= `"$binPath`" DisplayName= cardbridge"
if ($rc -ne 0) { Fail "无法注册服务（sc.exe 返回 $rc）。" "could not register the service (sc.exe: $rc)." }
$null = Invoke-Sc "description $ServiceName `"cardbridge local bridge between the browser and the certificate key`""
# Restart on failure, like Restart=on-failure in the Linux unit: after 5 s, 5 s, then every 30 s; the
# count resets after a day without failures.
$null = Invoke-Sc "failure $ServiceName reset= 86400 actions= restart/5000/restart/5000/restart/30000"
Say '已注册服务（自动启动）。' 'the service is registered (automatic start).'

if ($Scope -eq 'Machine') {
    Start-Service -Name $ServiceName
    Say '服务已启动。' 'the service is running.'
} else {
    $instances = @(Get-Service -Name "${ServiceName}_*" -ErrorAction SilentlyContinue)
    if ($instances.Count -gt 0) {
        $instances | ForEach-Object { Start-Service -Name $_.Name }
        Say '服务已启动。' 'the service is running.'
    } else {
        Say '请注销并重新登录一次，服务会在登录时自动启动。' `
            'sign out and in once: the service starts at every sign-in.'
    }
}
Say '安装完成。打开 https://127.0.0.1:23443/ 即可使用。' 'Done. Open https://127.0.0.1:23443/.'
