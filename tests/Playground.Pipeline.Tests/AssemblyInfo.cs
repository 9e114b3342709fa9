// Fake toolchains are shell scripts and the Web app is the Linux build.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
