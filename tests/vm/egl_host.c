/* A C host that renders into dmafeed's frames through EGL and OpenGL ES, with the frames' dma-bufs
 * (dmafeed_frame_get_dmabuf): each buffer's planes are imported once as an EGLImage
 * (EGL_LINUX_DMA_BUF_EXT, with the modifier where EGL_EXT_image_dma_buf_import_modifiers is
 * offered), bound to a texture that is the colour attachment of a framebuffer, and every frame is
 * cleared to one colour (glClear). The frame goes to dmafeed_queue_fenced with a sync_file from
 * EGL_ANDROID_native_fence_sync where the display offers it, else after glFinish with -1. The EGL
 * display is surfaceless (EGL_PLATFORM_SURFACELESS_MESA): llvmpipe where no GPU is there.
 *
 * Prints the EGL and GL drivers, then, once done, "frames N, fenced M, buffers B", the stats and
 * "modifier 0x..." (the buffers'); an import that fails says why (the EGL error, the format, the modifier, the planes
 * and what EGL can import for the format). Runs until N frames or SIGINT/SIGTERM.
 *
 * Usage: dmafeed-egl-host RRGGBB [FRAMES [ALLOCATOR]]   (XRGB8888 LINEAR against $WAYLAND_DISPLAY;
 *        ALLOCATOR: auto, vulkan, gbm, udmabuf) */
#include "c_host.h"

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES2/gl2.h>
#include <GLES2/gl2ext.h>

#ifndef DRM_FORMAT_MOD_INVALID
#define DRM_FORMAT_MOD_INVALID 0x00ffffffffffffffull
#endif
#define XRGB8888 0x34325258u /* DRM_FORMAT_XRGB8888: 'X' 'R' '2' '4' */

static int has_extension(const char* list, const char* name)
{
    const size_t n = strlen(name);
    for (const char* at = list ? strstr(list, name) : NULL; at; at = strstr(at + n, name)) {
        if ((at == list || at[-1] == ' ') && (at[n] == ' ' || at[n] == '\0')) return 1;
    }
    return 0;
}

static struct {
    EGLDisplay display;
    PFNEGLCREATEIMAGEKHRPROC create_image;
    PFNEGLDESTROYIMAGEKHRPROC destroy_image;
    PFNEGLQUERYDMABUFMODIFIERSEXTPROC query_modifiers; /* NULL: no EGL_EXT_image_dma_buf_import_modifiers */
    PFNGLEGLIMAGETARGETTEXTURE2DOESPROC image_target_texture;
    PFNEGLCREATESYNCKHRPROC create_sync; /* NULL: no EGL_ANDROID_native_fence_sync */
    PFNEGLDESTROYSYNCKHRPROC destroy_sync;
    PFNEGLDUPNATIVEFENCEFDANDROIDPROC dup_fence_fd;
} egl;

/* What one buffer was imported as, kept for the buffer's life (the buffer-destroyed callback). */
struct Target {
    uint64_t buffer_id; /* 0: a free slot */
    EGLImageKHR image;
    GLuint texture, framebuffer;
};
static struct Target targets[8];

static void drop_target(struct Target* t)
{
    glDeleteFramebuffers(1, &t->framebuffer);
    glDeleteTextures(1, &t->texture);
    egl.destroy_image(egl.display, t->image);
    memset(t, 0, sizeof *t);
}

static void on_buffer_destroyed(void* user, uint64_t buffer_id)
{
    (void)user;
    for (unsigned i = 0; i < sizeof targets / sizeof targets[0]; ++i) {
        if (targets[i].buffer_id == buffer_id) drop_target(&targets[i]);
    }
}

/* Why eglCreateImageKHR refused `d`: its error, the layout, and what the display imports for the
 * format (EGL_EXT_image_dma_buf_import_modifiers). */
static void explain_import_failure(const dmafeed_dmabuf* d, EGLint error)
{
    fprintf(stderr, "dmafeed-egl-host: eglCreateImageKHR(EGL_LINUX_DMA_BUF_EXT) failed: EGL error 0x%04x; format 0x%08x, "
                    "modifier 0x%016llx, %ux%u, %u planes:", (unsigned)error, d->format, (unsigned long long)d->modifier,
            d->width, d->height, d->plane_count);
    for (uint32_t i = 0; i < d->plane_count; ++i) {
        fprintf(stderr, " [fd %d offset %u pitch %u size %llu]", d->fd[i], d->offset[i], d->pitch[i],
                (unsigned long long)d->fd_size[d->fd_index[i]]);
    }
    fprintf(stderr, "\n");
    if (!egl.query_modifiers) return;
    EGLuint64KHR modifiers[64];
    EGLBoolean external[64];
    EGLint count = 0;
    if (!egl.query_modifiers(egl.display, (EGLint)d->format, 64, modifiers, external, &count)) return;
    fprintf(stderr, "dmafeed-egl-host: EGL imports format 0x%08x with %d modifiers:", d->format, count);
    for (EGLint i = 0; i < count; ++i) {
        fprintf(stderr, " 0x%016llx%s", (unsigned long long)modifiers[i], external[i] ? " (external only)" : "");
    }
    fprintf(stderr, "\n");
}

/* The framebuffer of the frame's buffer: imported on its first frame. 0 on failure. */
static GLuint target_of(const dmafeed_dmabuf* d)
{
    struct Target* free_slot = NULL;
    for (unsigned i = 0; i < sizeof targets / sizeof targets[0]; ++i) {
        if (targets[i].buffer_id == d->buffer_id) return targets[i].framebuffer;
        if (!targets[i].buffer_id && !free_slot) free_slot = &targets[i];
    }
    if (!free_slot) return 0;
    static const EGLint fd_key[] = {EGL_DMA_BUF_PLANE0_FD_EXT, EGL_DMA_BUF_PLANE1_FD_EXT, EGL_DMA_BUF_PLANE2_FD_EXT,
                                    EGL_DMA_BUF_PLANE3_FD_EXT};
    static const EGLint offset_key[] = {EGL_DMA_BUF_PLANE0_OFFSET_EXT, EGL_DMA_BUF_PLANE1_OFFSET_EXT,
                                        EGL_DMA_BUF_PLANE2_OFFSET_EXT, EGL_DMA_BUF_PLANE3_OFFSET_EXT};
    static const EGLint pitch_key[] = {EGL_DMA_BUF_PLANE0_PITCH_EXT, EGL_DMA_BUF_PLANE1_PITCH_EXT, EGL_DMA_BUF_PLANE2_PITCH_EXT,
                                       EGL_DMA_BUF_PLANE3_PITCH_EXT};
    static const EGLint lo_key[] = {EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT, EGL_DMA_BUF_PLANE1_MODIFIER_LO_EXT,
                                    EGL_DMA_BUF_PLANE2_MODIFIER_LO_EXT, EGL_DMA_BUF_PLANE3_MODIFIER_LO_EXT};
    static const EGLint hi_key[] = {EGL_DMA_BUF_PLANE0_MODIFIER_HI_EXT, EGL_DMA_BUF_PLANE1_MODIFIER_HI_EXT,
                                    EGL_DMA_BUF_PLANE2_MODIFIER_HI_EXT, EGL_DMA_BUF_PLANE3_MODIFIER_HI_EXT};
    EGLint attribs[7 + 10 * DMAFEED_MAX_PLANES];
    int n = 0;
    attribs[n++] = EGL_WIDTH;
    attribs[n++] = (EGLint)d->width;
    attribs[n++] = EGL_HEIGHT;
    attribs[n++] = (EGLint)d->height;
    attribs[n++] = EGL_LINUX_DRM_FOURCC_EXT;
    attribs[n++] = (EGLint)d->format;
    for (uint32_t i = 0; i < d->plane_count && i < DMAFEED_MAX_PLANES; ++i) {
        attribs[n++] = fd_key[i];
        attribs[n++] = d->fd[i];
        attribs[n++] = offset_key[i];
        attribs[n++] = (EGLint)d->offset[i];
        attribs[n++] = pitch_key[i];
        attribs[n++] = (EGLint)d->pitch[i];
        if (egl.query_modifiers && d->modifier != DRM_FORMAT_MOD_INVALID) {
            attribs[n++] = lo_key[i];
            attribs[n++] = (EGLint)(d->modifier & 0xffffffffu);
            attribs[n++] = hi_key[i];
            attribs[n++] = (EGLint)(d->modifier >> 32);
        }
    }
    attribs[n] = EGL_NONE;
    /* EGL dups what it keeps of the fds: they stay the producer's. */
    EGLImageKHR image = egl.create_image(egl.display, EGL_NO_CONTEXT, EGL_LINUX_DMA_BUF_EXT, NULL, attribs);
    if (image == EGL_NO_IMAGE_KHR) {
        explain_import_failure(d, eglGetError());
        return 0;
    }
    struct Target t = {.buffer_id = d->buffer_id, .image = image};
    glGenTextures(1, &t.texture);
    glBindTexture(GL_TEXTURE_2D, t.texture);
    egl.image_target_texture(GL_TEXTURE_2D, image);
    glGenFramebuffers(1, &t.framebuffer);
    glBindFramebuffer(GL_FRAMEBUFFER, t.framebuffer);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, t.texture, 0);
    const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
    const GLenum error = glGetError();
    if (status != GL_FRAMEBUFFER_COMPLETE || error != GL_NO_ERROR) {
        fprintf(stderr, "dmafeed-egl-host: buffer %llu's image as a colour attachment: framebuffer status 0x%04x, GL error 0x%04x\n",
                (unsigned long long)d->buffer_id, status, error);
        drop_target(&t);
        return 0;
    }
    *free_slot = t;
    return t.framebuffer;
}

/* A surfaceless display with a GLES 2 context current and the extensions the host needs; 0 on
 * failure (it says why). */
static int start_egl(void)
{
    const char* client = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
    if (!has_extension(client, "EGL_MESA_platform_surfaceless")) {
        fprintf(stderr, "dmafeed-egl-host: no EGL_MESA_platform_surfaceless (client extensions: %s)\n", client ? client : "none");
        return 0;
    }
    PFNEGLGETPLATFORMDISPLAYEXTPROC get_display = (PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
    egl.display = get_display ? get_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL) : EGL_NO_DISPLAY;
    EGLint major = 0, minor = 0;
    if (egl.display == EGL_NO_DISPLAY || !eglInitialize(egl.display, &major, &minor)) {
        fprintf(stderr, "dmafeed-egl-host: no surfaceless EGL display (EGL error 0x%04x)\n", (unsigned)eglGetError());
        return 0;
    }
    const char* ext = eglQueryString(egl.display, EGL_EXTENSIONS);
    printf("EGL %d.%d: %s; dma-buf import %s, modifiers %s, native fence sync %s\n", major, minor,
           eglQueryString(egl.display, EGL_VENDOR), has_extension(ext, "EGL_EXT_image_dma_buf_import") ? "yes" : "no",
           has_extension(ext, "EGL_EXT_image_dma_buf_import_modifiers") ? "yes" : "no",
           has_extension(ext, "EGL_ANDROID_native_fence_sync") ? "yes" : "no");
    if (!has_extension(ext, "EGL_EXT_image_dma_buf_import") || !has_extension(ext, "EGL_KHR_surfaceless_context")) {
        fprintf(stderr, "dmafeed-egl-host: the display lacks EGL_EXT_image_dma_buf_import or EGL_KHR_surfaceless_context: %s\n", ext);
        return 0;
    }
    egl.create_image = (PFNEGLCREATEIMAGEKHRPROC)eglGetProcAddress("eglCreateImageKHR");
    egl.destroy_image = (PFNEGLDESTROYIMAGEKHRPROC)eglGetProcAddress("eglDestroyImageKHR");
    egl.image_target_texture = (PFNGLEGLIMAGETARGETTEXTURE2DOESPROC)eglGetProcAddress("glEGLImageTargetTexture2DOES");
    if (has_extension(ext, "EGL_EXT_image_dma_buf_import_modifiers")) {
        egl.query_modifiers = (PFNEGLQUERYDMABUFMODIFIERSEXTPROC)eglGetProcAddress("eglQueryDmaBufModifiersEXT");
    }
    if (has_extension(ext, "EGL_ANDROID_native_fence_sync")) {
        egl.create_sync = (PFNEGLCREATESYNCKHRPROC)eglGetProcAddress("eglCreateSyncKHR");
        egl.destroy_sync = (PFNEGLDESTROYSYNCKHRPROC)eglGetProcAddress("eglDestroySyncKHR");
        egl.dup_fence_fd = (PFNEGLDUPNATIVEFENCEFDANDROIDPROC)eglGetProcAddress("eglDupNativeFenceFDANDROID");
    }
    if (!eglBindAPI(EGL_OPENGL_ES_API)) return 0;
    static const EGLint context_attribs[] = {EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE};
    const EGLContext context = eglCreateContext(egl.display, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, context_attribs);
    if (context == EGL_NO_CONTEXT || !eglMakeCurrent(egl.display, EGL_NO_SURFACE, EGL_NO_SURFACE, context)) {
        fprintf(stderr, "dmafeed-egl-host: no GLES 2 context without a surface (EGL error 0x%04x)\n", (unsigned)eglGetError());
        return 0;
    }
    printf("GL: %s, %s\n", (const char*)glGetString(GL_RENDERER), (const char*)glGetString(GL_VERSION));
    if (!egl.create_image || !egl.destroy_image || !egl.image_target_texture ||
        !has_extension((const char*)glGetString(GL_EXTENSIONS), "GL_OES_EGL_image")) {
        fprintf(stderr, "dmafeed-egl-host: no GL_OES_EGL_image\n");
        return 0;
    }
    return 1;
}

/* The sync_file of the GL work so far, or -1 once it is done (no native fence sync). */
static int render_fence(void)
{
    if (egl.create_sync) {
        static const EGLint attribs[] = {EGL_SYNC_NATIVE_FENCE_FD_ANDROID, EGL_NO_NATIVE_FENCE_FD_ANDROID, EGL_NONE};
        const EGLSyncKHR sync = egl.create_sync(egl.display, EGL_SYNC_NATIVE_FENCE_ANDROID, attribs);
        if (sync != EGL_NO_SYNC_KHR) {
            glFlush(); /* the fence exists once the commands are flushed */
            const int fd = egl.dup_fence_fd(egl.display, sync);
            egl.destroy_sync(egl.display, sync);
            if (fd >= 0) return fd;
        }
    }
    glFinish();
    return -1;
}

static dmafeed_allocator allocator_of(const char* name)
{
    if (!strcmp(name, "vulkan")) return DMAFEED_ALLOCATOR_VULKAN;
    if (!strcmp(name, "gbm")) return DMAFEED_ALLOCATOR_GBM;
    if (!strcmp(name, "udmabuf")) return DMAFEED_ALLOCATOR_UDMABUF;
    return DMAFEED_ALLOCATOR_AUTO;
}

int main(int argc, char** argv)
{
    unsigned long rgb = 0, frames = 0;
    if (!c_host_start("dmafeed-egl-host", argc, argv, "RRGGBB [FRAMES [ALLOCATOR]]", &rgb, &frames)) return 2;
    if (!start_egl()) return 1;

    dmafeed_config* config = c_host_config("dmafeed EGL host");
    if (!config) return 1;
    dmafeed_config_set_format(config, XRGB8888);
    dmafeed_config_set_modifier(config, 0); /* LINEAR: what every EGL imports */
    dmafeed_config_set_allocator(config, allocator_of(argc > 3 ? argv[3] : "auto"));
    dmafeed_producer* p = c_host_create(config);
    if (!p) return 1;
    dmafeed_set_buffer_destroyed_callback(p, on_buffer_destroyed, NULL);

    int status = 0;
    unsigned long n = 0, fenced = 0;
    struct c_host_buffers buffers = {{0}, 0};
    uint64_t modifier = DRM_FORMAT_MOD_INVALID;
    while (n < frames && !c_host_stop) {
        dmafeed_frame frame;
        dmafeed_frame_init(&frame);
        const dmafeed_result got = dmafeed_acquire(p, &frame, 1000);
        if (got < 0) { status = c_host_fail("acquire", got); break; }
        if (got != DMAFEED_OK) continue;
        dmafeed_dmabuf dmabuf;
        dmafeed_dmabuf_init(&dmabuf);
        const dmafeed_result described = dmafeed_frame_get_dmabuf(p, &frame, &dmabuf);
        if (described != DMAFEED_OK) { status = c_host_fail("dmafeed_frame_get_dmabuf", described); break; }
        if (n == 0) {
            printf("buffer: %s; %u planes, %u dma-bufs, pitch %u, %llu bytes\n", dmafeed_describe(p), dmabuf.plane_count,
                   dmabuf.fd_count, dmabuf.pitch[0], (unsigned long long)dmabuf.fd_size[0]);
        }
        modifier = dmabuf.modifier;
        c_host_saw(&buffers, frame.buffer_id);

        const GLuint framebuffer = target_of(&dmabuf);
        if (!framebuffer) { status = 1; break; }
        glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
        glViewport(0, 0, (GLsizei)dmabuf.width, (GLsizei)dmabuf.height);
        /* XRGB8888 is GL's BGRA: the clear colour is R, G, B, A whatever the memory order. */
        glClearColor((float)((rgb >> 16) & 0xff) / 255.0f, (float)((rgb >> 8) & 0xff) / 255.0f, (float)(rgb & 0xff) / 255.0f, 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
        if (glGetError() != GL_NO_ERROR) { status = c_host_fail("glClear", DMAFEED_OK); break; }
        const int fd = render_fence();
        fenced += fd >= 0;
        const dmafeed_result r = c_host_queue(p, &frame, n, fd);
        if (r != DMAFEED_OK) { status = c_host_fail("queue", r); break; }
        ++n;
    }
    c_host_report(p, n, fenced, &buffers);
    printf("modifier 0x%016llx\n", (unsigned long long)modifier);
    for (unsigned i = 0; i < sizeof targets / sizeof targets[0]; ++i) {
        if (targets[i].buffer_id) drop_target(&targets[i]);
    }
    dmafeed_producer_destroy(p);
    eglMakeCurrent(egl.display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    eglTerminate(egl.display);
    return status;
}
