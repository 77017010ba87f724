// Package console lets pimtray's Windows build, a GUI-subsystem program (-H windowsgui, so no
// console window flashes when the tray starts at login), still print when it is started from a
// terminal: AttachParentConsole attaches to the console of the shell that started it.
//
// Call it first thing in main, before anything keeps a reference to os.Stdout or os.Stderr
// (loggers, flag output). On other systems it does nothing.
package console
