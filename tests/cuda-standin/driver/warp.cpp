// warp.cpp — warp collectives: every lane named in the mask must arrive before any lane continues. The last lane to
// arrive computes the results of all lanes (shuffles, votes, ldmatrix, mma.sync) and wakes the others.
// Fragment layouts follow the PTX ISA: for mma.m16n8k16 with .bf16 inputs, groupID = lane >> 2 and
// threadID_in_group = lane % 4; ldmatrix gives lane l the row l / 4, columns 2·(l % 4) and 2·(l % 4) + 1 of each matrix
// (transposed with .trans), and lanes 8i…8i+7 supply the row addresses of matrix i.
#include "exec.h"

namespace sa::exec
{
namespace
{
const char* collectiveName(CollectiveKind kind, int mode)
{
    switch (kind)
    {
        case CollectiveKind::Shuffle:
            return mode == SA_SHFL_IDX ? "__shfl_sync" : mode == SA_SHFL_UP ? "__shfl_up_sync" : mode == SA_SHFL_DOWN ? "__shfl_down_sync" : "__shfl_xor_sync";
        case CollectiveKind::Vote: return mode == SA_VOTE_BALLOT ? "__ballot_sync" : mode == SA_VOTE_ANY ? "__any_sync" : "__all_sync";
        case CollectiveKind::SyncWarp: return "__syncwarp";
        case CollectiveKind::Mma: return "mma.sync.m16n8k16";
        case CollectiveKind::LdMatrix: return "ldmatrix.sync";
        default: return "?";
    }
}

float bf16(uint32_t bits16) { return __builtin_bit_cast(float, bits16 << 16); }

void complete(Collective& c, Executor& e, unsigned warp)
{
    switch (c.kind)
    {
        case CollectiveKind::Shuffle:
        {
            uint64_t values[32];
            for (unsigned lane = 0; lane < 32; ++lane)
                if (c.mask & (1u << lane)) { values[lane] = 0; std::memcpy(&values[lane], c.in[lane], c.bytes); }
            const unsigned width = (unsigned)c.width;
            for (unsigned lane = 0; lane < 32; ++lane)
            {
                if (!(c.mask & (1u << lane))) continue;
                const unsigned segment = lane / width * width;
                const long long a = c.argument[lane];
                long long source = lane;
                switch (c.mode)
                {
                    case SA_SHFL_IDX: source = segment + ((unsigned long long)a % width); break;
                    case SA_SHFL_UP: source = (long long)lane - a < (long long)segment ? lane : (long long)lane - a; break;
                    case SA_SHFL_DOWN: source = lane + a >= segment + width ? lane : lane + a; break;
                    default: source = ((lane ^ (unsigned)a) >= segment + width) ? lane : (lane ^ (unsigned)a); break;
                }
                if (!(c.mask & (1u << source)))
                    faultFor(e.threads[warp * 32 + lane], CUDA_ERROR_LAUNCH_FAILED,
                             format("%s at %s reads lane %lld, which is not in the mask 0x%08x (its value is undefined)",
                                    collectiveName(c.kind, c.mode), site(c.file, c.line).c_str(), source, c.mask));
                std::memcpy(c.out[lane], &values[source], c.bytes);
            }
            break;
        }
        case CollectiveKind::Vote:
        {
            unsigned ballot = 0;
            for (unsigned lane = 0; lane < 32; ++lane)
                if ((c.mask & (1u << lane)) && c.argument[lane] != 0) ballot |= 1u << lane;
            const unsigned result = c.mode == SA_VOTE_BALLOT ? ballot : c.mode == SA_VOTE_ANY ? (ballot != 0) : (ballot == c.mask);
            for (unsigned lane = 0; lane < 32; ++lane)
                if (c.mask & (1u << lane)) *static_cast<unsigned*>(c.out[lane]) = result;
            break;
        }
        case CollectiveKind::SyncWarp:
            e.warpGeneration[warp]++;
            break;
        case CollectiveKind::Mma:
        {
            // Gather A (16x16), B (16x8) and C (16x8) from the lanes' fragments, then D = A·B + C in fp32.
            float A[16][16], B[16][8], C[16][8];
            for (unsigned lane = 0; lane < 32; ++lane)
            {
                const auto* in = static_cast<const uint32_t*>(c.in[lane]); // a0..a3, b0, b1
                const float* cin = static_cast<const float*>(c.out[lane]);
                const unsigned group = lane >> 2, pair = (lane & 3) * 2;
                for (int half = 0; half < 2; ++half)
                {
                    A[group][pair + half] = bf16((in[0] >> (16 * half)) & 0xffffu);
                    A[group + 8][pair + half] = bf16((in[1] >> (16 * half)) & 0xffffu);
                    A[group][pair + 8 + half] = bf16((in[2] >> (16 * half)) & 0xffffu);
                    A[group + 8][pair + 8 + half] = bf16((in[3] >> (16 * half)) & 0xffffu);
                    B[pair + half][group] = bf16((in[4] >> (16 * half)) & 0xffffu);
                    B[pair + 8 + half][group] = bf16((in[5] >> (16 * half)) & 0xffffu);
                }
                C[group][pair] = cin[0];
                C[group][pair + 1] = cin[1];
                C[group + 8][pair] = cin[2];
                C[group + 8][pair + 1] = cin[3];
            }
            float D[16][8];
            for (int i = 0; i < 16; ++i)
                for (int j = 0; j < 8; ++j)
                {
                    float acc = 0.0f;
                    for (int k = 0; k < 16; ++k) acc += A[i][k] * B[k][j]; // products of bf16 values are exact in fp32
                    D[i][j] = C[i][j] + acc;
                }
            for (unsigned lane = 0; lane < 32; ++lane)
            {
                float* out = static_cast<float*>(c.out[lane]);
                const unsigned group = lane >> 2, pair = (lane & 3) * 2;
                out[0] = D[group][pair];
                out[1] = D[group][pair + 1];
                out[2] = D[group + 8][pair];
                out[3] = D[group + 8][pair + 1];
            }
            break;
        }
        case CollectiveKind::LdMatrix:
        {
            const int matrices = c.mode & 7;
            const bool transpose = (c.mode & 8) != 0;
            uint16_t M[4][8][8];
            for (int m = 0; m < matrices; ++m)
                for (int row = 0; row < 8; ++row)
                {
                    const unsigned lane = m * 8 + row;
                    Thread& supplier = e.threads[warp * 32 + lane];
                    const uint64_t address = (uint64_t)c.in[lane];
                    const uint64_t offset = address - (uint64_t)e.arena;
                    if (offset >= e.arenaCapacity)
                        faultFor(supplier, CUDA_ERROR_ILLEGAL_ADDRESS,
                                 format("ldmatrix row address 0x%llx (lane %u, matrix %d) is not shared memory (%s)",
                                        (unsigned long long)address, lane, m, site(c.file, c.line).c_str()));
                    if (offset % 16 != 0)
                        faultFor(supplier, CUDA_ERROR_MISALIGNED_ADDRESS,
                                 format("ldmatrix row address %s (lane %u, matrix %d) is not 16-byte aligned (%s)",
                                        describeShared(offset).c_str(), lane, m, site(c.file, c.line).c_str()));
                    sharedAccess(supplier, offset, 16, false, "ldmatrix row");
                    std::memcpy(M[m][row], e.arena + offset, 16);
                }
            for (unsigned lane = 0; lane < 32; ++lane)
            {
                auto* out = static_cast<uint32_t*>(c.out[lane]);
                const unsigned row = lane >> 2, column = (lane & 3) * 2;
                for (int m = 0; m < matrices; ++m)
                    out[m] = transpose ? (uint32_t)M[m][column][row] | ((uint32_t)M[m][column + 1][row] << 16)
                                       : (uint32_t)M[m][row][column] | ((uint32_t)M[m][row][column + 1] << 16);
            }
            break;
        }
        default: break;
    }
}

// Arrives at a collective; returns once every lane of the mask has arrived and the results are written.
void arrive(CollectiveKind kind, int mode, unsigned mask, const void* in, void* out, long long argument, int bytes, int width,
            const char* file, int line)
{
    Executor& e = executor();
    Thread& t = self();
    const char* name = collectiveName(kind, mode);
    if (!(mask & (1u << t.lane)))
        fault(CUDA_ERROR_LAUNCH_FAILED, format("%s at %s with mask 0x%08x, which does not include the calling lane %u", name,
                                               site(file, line).c_str(), mask, t.lane));
    const unsigned lanesInWarp = std::min(32u, e.threadsPerBlock - t.warp * 32);
    if (lanesInWarp < 32 && (mask >> lanesInWarp) != 0)
        fault(CUDA_ERROR_LAUNCH_FAILED, format("%s at %s with mask 0x%08x names lanes this warp does not have (the block has %u threads)",
                                               name, site(file, line).c_str(), mask, e.threadsPerBlock));
    Collective& c = e.collectives[t.warp];
    if (c.kind == CollectiveKind::None)
    {
        c.kind = kind;
        c.mode = mode;
        c.mask = mask;
        c.arrived = 0;
        c.file = file;
        c.line = line;
        c.bytes = bytes;
        c.width = width;
    }
    else if (c.kind != kind || c.mode != mode || c.mask != mask || c.bytes != bytes || c.width != width)
    {
        fault(CUDA_ERROR_LAUNCH_FAILED,
              format("lane %u reaches %s at %s (mask 0x%08x) while lanes 0x%08x of its warp wait in %s at %s (mask 0x%08x): "
                     "the lanes of a warp collective must all execute the same one",
                     t.lane, name, site(file, line).c_str(), mask, c.arrived, collectiveName(c.kind, c.mode),
                     site(c.file, c.line).c_str(), c.mask));
    }
    c.in[t.lane] = in;
    c.out[t.lane] = out;
    c.argument[t.lane] = argument;
    c.arrived |= 1u << t.lane;
    if (c.arrived == c.mask)
    {
        complete(c, e, t.warp);
        for (unsigned lane = 0; lane < 32; ++lane)
            if ((c.mask & (1u << lane)) && lane != t.lane) makeRunnable(e.threads[t.warp * 32 + lane]);
        c.kind = CollectiveKind::None;
        return;
    }
    t.status = Status::InCollective;
    t.waitFile = file;
    t.waitLine = line;
    t.waitWhat = name;
    yieldToScheduler(t);
}

void syncwarp(unsigned mask, const char* file, int line)
{
    arrive(CollectiveKind::SyncWarp, 0, mask, nullptr, nullptr, 0, 0, 32, file, line);
}

unsigned vote(int mode, unsigned mask, int predicate, const char* file, int line)
{
    unsigned result = 0;
    arrive(CollectiveKind::Vote, mode, mask, nullptr, &result, predicate, 4, 32, file, line);
    return result;
}

void shuffle(int mode, unsigned mask, const void* value, void* result, int bytes, int laneArgument, int width, const char* file, int line)
{
    if (width <= 0 || width > 32 || (width & (width - 1)) != 0)
        fault(CUDA_ERROR_LAUNCH_FAILED, format("shuffle width %d at %s is not a power of two in [1, 32]", width, site(file, line).c_str()));
    arrive(CollectiveKind::Shuffle, mode, mask, value, result, laneArgument, bytes, width, file, line);
}

void mma(float* c, const unsigned* a, unsigned b0, unsigned b1, const char* file, int line)
{
    const uint32_t fragments[6] = {a[0], a[1], a[2], a[3], b0, b1};
    arrive(CollectiveKind::Mma, 0, 0xffffffffu, fragments, c, 0, 0, 32, file, line);
}

void ldmatrix(unsigned* result, int matrices, int transpose, const void* rowAddress, const char* file, int line)
{
    if (matrices != 1 && matrices != 2 && matrices != 4)
        fault(CUDA_ERROR_ILLEGAL_INSTRUCTION, format("ldmatrix .x%d at %s: only .x1, .x2 and .x4 exist", matrices, site(file, line).c_str()));
    arrive(CollectiveKind::LdMatrix, matrices | (transpose ? 8 : 0), 0xffffffffu, rowAddress, result, 0, 0, 32, file, line);
}
} // namespace

void fillWarpApi(SaRuntimeApi& a)
{
    a.syncwarp = &syncwarp;
    a.vote = &vote;
    a.shuffle = &shuffle;
    a.mma_m16n8k16_bf16 = &mma;
    a.ldmatrix = &ldmatrix;
}
} // namespace sa::exec
