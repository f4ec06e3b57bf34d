; Inno Setup 6 script: a Windows installer for the 诗笺 bundle, with Start-menu shortcuts.
;
;   packaging\windows\build-windows.ps1          (builds dist\shijian, then runs this)
;   ISCC.exe /DAppVersion=0.1.0 packaging\windows\shijian.iss
;
; Installs dist\shijian\ into Program Files (or, without administrator rights, the
; user's own programs folder), adds 诗笺 to the Start menu (and, if ticked, the
; desktop) and registers an uninstaller. Saved as UTF-8 with a byte-order mark so
; Inno Setup reads the Chinese names.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef Variant
  #define Variant "cpu"
#endif

[Setup]
AppId={{6E0F6A2C-6C1B-4D3A-9C0B-5B1D3F2A8E71}
AppName=诗笺 Shijian
AppVersion={#AppVersion}
AppPublisher=诗笺 Shijian developers
AppComments=近体诗写作室 / a studio for classical Chinese regulated verse
DefaultDirName={autopf}\Shijian
DefaultGroupName=诗笺 Shijian
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
SetupIconFile=shijian.ico
UninstallDisplayIcon={app}\shijian.exe
OutputDir=..\..\dist
OutputBaseFilename=shijian-{#AppVersion}-windows-x64-{#Variant}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
; For a Chinese installer, put ChineseSimplified.isl (Inno Setup's translations page)
; into Inno Setup's Languages folder and uncomment:
; Name: "chinesesimplified"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\dist\shijian\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\诗笺 Shijian"; Filename: "{app}\shijian.exe"; Comment: "近体诗写作室"
Name: "{group}\诗笺 自检 Self-test"; Filename: "{cmd}"; Parameters: "/k ""{app}\shijian-cli.exe"" --self-test"; WorkingDir: "{app}"
Name: "{group}\{cm:UninstallProgram,诗笺 Shijian}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\诗笺 Shijian"; Filename: "{app}\shijian.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\shijian.exe"; Description: "{cm:LaunchProgram,诗笺 Shijian}"; Flags: nowait postinstall skipifsilent
