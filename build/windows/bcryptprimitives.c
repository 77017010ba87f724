/*
 * A stand-in for Windows 10's bcryptprimitives.dll, for running pimtray.exe under Wine 8
 * only (build/wine, the test command's Windows smoke run). Go 1.22+ programs take their
 * random numbers from ProcessPrng, which Wine ships only from 9.0 on; without it the Go
 * runtime stops before main ("bcryptprimitives.dll not found"). This DLL exports
 * ProcessPrng and fills the buffer from advapi32's RtlGenRandom (SystemFunction036),
 * which Wine has. Never shipped: real Windows 10 and 11 have the real DLL.
 *
 *   x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
	while (length > 0) {
		ULONG chunk = length > 0x7fffffff ? 0x7fffffff : (ULONG)length;
		if (!SystemFunction036(data, chunk))
			return FALSE;
		data += chunk;
		length -= chunk;
	}
	return TRUE;
}
