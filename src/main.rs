fn main() {
    console_error_panic_hook::set_once();
    talking_head_studio::mount_page("studio");
}
