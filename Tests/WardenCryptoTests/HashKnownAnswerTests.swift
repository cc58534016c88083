import Testing
import WardenCore
import WardenTesting
@testable import WardenCrypto

/// Known answers from Python: `hashlib.blake2b(data).hexdigest()` and `blake3.blake3(data).hexdigest()`
/// (blake3 1.0 from PyPI) where `data[i] = (i * 7 + 3) % 251`; regenerate with scripts/interop/hash_kat.py.
struct HashKnownAnswerTests {
    static let vectors: [(length: Int, blake2b: String, blake3: String)] = [
        (0, "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce",
         "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"),
        (1, "4fe4da61bcc756071b226843361d74944c72245d23e8245ea678c13fdcd7fe2ae529cf999ad99cc24f7a73416a18ba53e76c0afef83b16a568b12fbfc1a2674d",
         "e1e0e81d6ea39b0cf8b86ffd440921011f57400cbc3f76a8a171906a9b8d7505"),
        (63, "b812e7b2cbee664936ead9db3bbc557d46246147b8198779330bbff4572cb520290b70fc1dd2a491a2cd0b0af127ab4ba041d408a6f56824a07a8a8929eb1e1d",
         "d24fb797708be34389a85d96c1a9db21582fe8f24840b27b9859fd4ea4ca4c10"),
        (64, "74ed4268e8bb090b3fee4f6ff67ac4610a21fb633ba93479501e83d6f02390d52a612013250d5b40477f52bdb6fc1c95ac335a775fcfc6a92f9d888db25de983",
         "b83e47b6a178a4e2e3e1c08b8fbe870efe1f829e4fd44dfa3470007abd6fdc3b"),
        (65, "1245baced49a22e0d645086b85efa03866ae620d3ef1535220e293f352dffeb80c8b4b09c7dc0ccbebe14dd3c04da25d890be96ba095a3b01cc6629a2b8acfb9",
         "03078b49cce3fff54a65a2eaa33dad8d9782798bd51e1cd4a1483283a0268873"),
        (127, "965b0d67d74567a8e84273ff74730f14645dfb11cf263d0e20cbcb5fa3fadb5eec725f9d5dd4f4fd60ee10390fcdd3188ce53faf105d82e6594773ea398edbe1",
         "80f61354bb6c2b5ec330212859f6aa55dd2220afc7cdaff053e6d4ea331ede35"),
        (128, "a4d40e9fac2f4491cc7c048202589a43de09be6e0a9e16efe8765eb2fe2c9395d27417f6e21256f26d90a1315d76e51db0045e934a29c8dae2150a4484ad5d87",
         "b58d6ee7dddeb2a71f3cc4306f7882d7f6ad6b32aa9fbad5236965bc6baba280"),
        (129, "0263b9cb461cd36c77452119f6920ce4a95a9c47f48f241377dc33d09732464c30295c38590761f1b16464f4fa54bbb37e95c6e664adf7b66800b71ffec75503",
         "6c07b1357da81a6e4f896b1133db514960438eea9f8136e682377cea214b1887"),
        (255, "c3dad47cc5975efc76145af76b69acb9c4ff01eeab093226d54fc0705601ec603018c811ded3463cb21f1a6c6e0d54a2812f8f3406981772896d4d97770e16ba",
         "2acf247b752f1e11d97e633121945e020430980138d8e32aab324ec51fd2ac5a"),
        (256, "5eb68fbd373e852c1f4aaf96953c480367c87135e721deb5db341bbbc497cfae000aef2af67dbd311ecf01a42a23d442f1fec22d9a0258d8fad22da2390c0680",
         "d39ee072542219fbdc493a118375de4e77d15994c76598393a4e0a41352c4c69"),
        (1023, "1a59465dd23799ac3d47823b662c86d1cf24f3fcdd827f890b40415056167e5ee2fd6ba8c45b9a3300ddb7d91c34cb97142055ffec48b37da5e7e583d38d8852",
         "562194b1fcae7c0933be0d66067011f544047a677a044cb8cccb0dcebb74169f"),
        (1024, "c5e0c2c1b9307585ee416d7ac334d0cb0ffc5b9970e4a0a56bd812f152942a35eb8192e09da1355fef431b39f6dedfc043d03dd68ab7b1bce263c8ca98b7cf06",
         "1d299b433a99665838fd11e1a5f18148613ac6984dc9d184e527b17c05a1989f"),
        (1025, "6166e6ecbff4871834a7fc6a5f9a3c1b8b464dc039427f7b4f22f8a3cdf669c190e6cd254372790ac301f83920d83a7fba6695e543c175fafff31525abfa9bf7",
         "23ba53947a167867e27e1bbc63f790143128af06fbc970e899e2d579fa7c7e05"),
        (2048, "e9ba13a30f6cc38c49665e1998b4ea523e9be964fa0a8264f235676a2c0256db0b7d3ee168477a8aa8ca22e542f1b8ebea2b7925706cad3c043854f981d63ee6",
         "107fb6c5cec897cfec1cfd42b671187789866677249ab06ac1a0430754cf012d"),
        (2049, "106a87dbfcd56bd36766334367a69edc49c91e8db00544ad55db11ea92b5e192570ea5f29f28f6bc449081f85fd7b44a850a47c5b229a5620df91fd97200c4e6",
         "9cce7f21aa060406fb92a2e9a47b48584e2981206564cdc72b686508a041cdd9"),
        (3072, "204682d6e31cde14bd805bf311f4b7f1774edcea4e61dc8520a266d469271ef652417ac06d01e6cdee6664e63907c34e5d3688ee37088c2230da42ce07b1eb61",
         "be84487feb117833fb0d40744b20974ae2f7fe1a17e3904ed7be08aa8c4653f4"),
        (4096, "89170ed36730a4ffdd7c47c02e6d425653a39b699f1b398989d59f751a0b4688a61a670b532dac83b843e2e0297f26986914230140154cd213059173bf7a6742",
         "b473e5eda3434e512b9ca771e67c31584911d33bb19ee5ad8e7b28dcf5ac8cd6"),
        (5000, "c528c069ca63b4a08111a0afe7f3c8e784f060db3b41a370ef5adbc15ecc421dc73255067410a12116b67be5c4a0de8c10197fc68d239f07786aa29e01217492",
         "df139b7fd2ec074a72e4435a136fbbc801ba540ee8e3872ded444615e7e0fce2"),
        (8192, "6bbabfd8577ea09fa52c1a17618b2dd4e7b72c3bbdd0a3bb99589652136225024b40ba759f77fde83aa94d60814c0468be37f131b7250b960171a8ea2cb87222",
         "622b30c6ac13f985786b41c21619b82e13ba8bcff5f10e11ce1a9d2e2258a02d"),
        (31744, "6ae2127562206cb23b045eb8091e83e1c596782683c1e47372373116e00092fc19c6abebde90a3be5f798de3678c9b4d1dfbf43b3dca7ffbecee25c869bade08",
         "e995a06414de18509311848cda372cc2a4d706f68e73903ffa7f8653bbfaad5c"),
        (65537, "fba7d5245f6313048859fac7dba85d07ed03a59600dec053e0f5983792af1659e5f5fa37875e403c8970f690012aa70b685e424fab0142501e252f0f66713872",
         "01b3b9b70511db44787d7e1061e8bd1c4e0db0ce0ddc4ed682ea5ede1b991a82"),
        (100000, "c7e218766887b35ca57b49ab52941677e3253cfa0bd39bea2c0f3f3db8f123ba34c9d90107b41b81c1e2e2af7a3c2faeb8272c97f6158b8d6b1fc4dfd9e5aad6",
         "32506b6d9c0c2de4a2a2629ab5bd99627bdab64e2eb212b30321535e9c4db912"),
    ]

    static func input(_ length: Int) -> [UInt8] { (0..<length).map { UInt8(($0 * 7 + 3) % 251) } }

    @Test(arguments: 0..<vectors.count)
    func blake2bKnownAnswer(_ index: Int) {
        let vector = Self.vectors[index]
        #expect(hex(HashAlgorithm.blake2b.hash(Self.input(vector.length))) == vector.blake2b)
    }

    @Test(arguments: 0..<vectors.count)
    func blake3KnownAnswer(_ index: Int) {
        let vector = Self.vectors[index]
        #expect(hex(HashAlgorithm.blake3.hash(Self.input(vector.length))) == vector.blake3)
    }

    /// Any split of the input into updates gives the one-shot digest.
    @Test(arguments: HashAlgorithm.allCases)
    func streamingMatchesOneShot(_ algorithm: HashAlgorithm) {
        var generator = SeededGenerator(seed: 7)
        let data = Self.input(100_000)
        let expected = algorithm.hash(data)
        for _ in 0..<40 {
            var hasher = algorithm.makeHasher()
            var start = 0
            while start < data.count {
                let length = min(data.count - start, Int.random(in: 0...3000, using: &generator))
                data[start..<(start + length)].withUnsafeBytes { hasher.update($0) }
                start += length
            }
            #expect(hasher.finish() == expected)
        }
    }

    func hex(_ bytes: [UInt8]) -> String { Hex.encode(bytes) }
}
