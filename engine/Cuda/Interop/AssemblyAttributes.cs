using System.Runtime.CompilerServices;

// Every native call in the engine passes only blittable values (pointers, integers, floats), so the
// runtime's marshalling layer is switched off: a non-blittable signature becomes a compile error
// instead of a hidden copy on every kernel launch.
[assembly: DisableRuntimeMarshalling]
