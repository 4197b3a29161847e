// dmafeed's test patterns, drawn by the GPU straight into one plane of an exported image.
//
// pattern_pixel() is sources::pattern_pixel() (src/sources/pattern.cpp) and encode() is
// pixels::rgb_to_ycbcr() (src/pixels/color.cpp) in the same 32-bit integer arithmetic, so that
// the GPU writes the bytes the CPU packer would: tests/vm/gpu_pattern_test.cpp compares them.
// One invocation per texel of a region of the plane (the whole plane, or what changed since the
// frame the buffer holds); a chroma texel averages the RGB of the pixels it covers.
#version 450

layout(local_size_x = 16, local_size_y = 16) in;

// The plane's own format (B8G8R8A8, R8, R8G8, ...): stored through a view without a format
// qualifier (shaderStorageImageWriteWithoutFormat), values k / 255.
layout(binding = 0) uniform writeonly image2D plane;

// 120 bytes; the layout is mirrored by render::PatternPush (src/render/gpu_pattern.cpp).
layout(push_constant) uniform Push {
    uint kind;       // sources::PatternKind: 0 smpte, 1 ramp, 2 checker, 3 moving-box, 4 solid (5, pq-ramp, is the CPU's)
    uint colour;     // solid: 0xRRGGBB
    uint width;      // of the frame, in pixels
    uint height;
    uint box_x;
    uint box_y;
    uint box_size;
    uint checker_phase;
    uint stamped;
    uint stamp_frame;
    uint stamp_time_ms;
    uint mode;       // 0 RGB(A), 1 Y, 2 CbCr, 3 Cb, 4 Cr
    uint hsub;       // pixels per texel of this plane
    uint vsub;
    uint end_x;      // the region, in texels of this plane: [origin, end)
    uint end_y;
    uint origin_x;
    uint origin_y;
    ivec4 ky;        // 16.16 coefficients of R, G, B and the offset
    ivec4 kcb;
    ivec4 kcr;
} pc;

const uvec3 bars[7] = uvec3[](uvec3(191, 191, 191), uvec3(191, 191, 0), uvec3(0, 191, 191), uvec3(0, 191, 0),
                              uvec3(191, 0, 191), uvec3(191, 0, 0), uvec3(0, 0, 191));

uvec3 pattern_pixel(uint x, uint y)
{
    if (pc.stamped != 0u && y < 8u) {
        // 64 cells across the width (x * 64 fits 32 bits: images are at most 2^26 wide).
        uint cell = (x * 64u) / pc.width;
        uint word = cell < 32u ? pc.stamp_frame : pc.stamp_time_ms;
        return ((word >> (31u - cell % 32u)) & 1u) != 0u ? uvec3(255) : uvec3(0);
    }
    switch (pc.kind) {
    case 0u: return bars[min((x * 7u) / pc.width, 6u)];
    case 1u: {
        uint v = pc.width > 1u ? (x * 255u) / (pc.width - 1u) : 0u;
        return uvec3(v);
    }
    case 2u: return ((x / 16u + y / 16u + pc.checker_phase) % 2u) == 0u ? uvec3(235) : uvec3(16);
    case 3u: {
        bool inside = x >= pc.box_x && x < pc.box_x + pc.box_size && y >= pc.box_y && y < pc.box_y + pc.box_size;
        return inside ? uvec3(240, 200, 40) : uvec3(20, 40, 90);
    }
    default: return uvec3((pc.colour >> 16) & 255u, (pc.colour >> 8) & 255u, pc.colour & 255u);
    }
}

uint encode(ivec4 k, uvec3 c)
{
    int v = (k.x * int(c.r) + k.y * int(c.g) + k.z * int(c.b) + k.w) >> 16;
    return uint(clamp(v, 0, 255));
}

void main()
{
    uvec2 t = gl_GlobalInvocationID.xy + uvec2(pc.origin_x, pc.origin_y);
    if (t.x >= pc.end_x || t.y >= pc.end_y) return;
    uvec3 sum = uvec3(0);
    uint count = 0u;
    for (uint y = t.y * pc.vsub; y < min(pc.height, (t.y + 1u) * pc.vsub); ++y) {
        for (uint x = t.x * pc.hsub; x < min(pc.width, (t.x + 1u) * pc.hsub); ++x) {
            sum += pattern_pixel(x, y);
            ++count;
        }
    }
    uvec3 c = (sum + uvec3(count / 2u)) / uvec3(count);
    vec4 texel;
    switch (pc.mode) {
    case 0u: texel = vec4(vec3(c), 255.0); break;
    case 1u: texel = vec4(float(encode(pc.ky, c)), 0.0, 0.0, 255.0); break;
    case 2u: texel = vec4(float(encode(pc.kcb, c)), float(encode(pc.kcr, c)), 0.0, 255.0); break;
    case 3u: texel = vec4(float(encode(pc.kcb, c)), 0.0, 0.0, 255.0); break;
    default: texel = vec4(float(encode(pc.kcr, c)), 0.0, 0.0, 255.0); break;
    }
    imageStore(plane, ivec2(t), texel / 255.0);
}
